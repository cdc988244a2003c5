"""The HTML dashboard: the summary and the agents, rendered on the server, every value escaped."""

from collections.abc import Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined

from reporting.domain.agents import AgentReport
from reporting.domain.departments import WAITING
from reporting.domain.summary import Summary
from reporting.routing_reports import RoutingKpis
from ticketflow_shared.events import TicketStatus

STATUS_LABELS = {
    TicketStatus.new: "New",
    TicketStatus.queued: "Queued",
    TicketStatus.open: "Open",
    TicketStatus.pending: "Pending",
    TicketStatus.on_hold: "On hold",
    TicketStatus.solved: "Solved",
    TicketStatus.closed: "Closed",
}

_templates = Environment(
    loader=PackageLoader("reporting", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def human_duration(seconds: float | None) -> str:
    """A duration the way people read it: 32 ms, 42 s, 3.5 min, 2.1 h, 1.3 d; a dash if unknown."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(value: float | None) -> str:
    """A ratio as people read it: 33.3 %; a dash if unknown."""
    return "—" if value is None else f"{value * 100:.1f} %"


_templates.filters["duration"] = human_duration
_templates.filters["percent"] = percent


def render_dashboard(
    summary: Summary,
    agents: Sequence[AgentReport],
    refresh_seconds: int = 5,
    routing: RoutingKpis | None = None,
) -> str:
    timings = [
        ("Assigned", summary.time_to_assign_seconds),
        ("First response (public agent reply)", summary.time_to_first_response_seconds),
        ("First solved", summary.time_to_first_resolve_seconds),
        ("Resolved (last solve, done tickets)", summary.time_to_resolve_seconds),
        ("First customer notification", summary.time_to_first_notification_seconds),
    ]
    return _templates.get_template("dashboard.html").render(
        summary=summary,
        agents=agents,
        timings=timings,
        waiting_statuses=[(status.value, STATUS_LABELS[status]) for status in WAITING],
        status_labels={status.value: label for status, label in STATUS_LABELS.items()},
        refresh_seconds=refresh_seconds,
        routing=routing,
    )
