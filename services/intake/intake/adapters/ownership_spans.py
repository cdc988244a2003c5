"""Each ended ownership period as a span in the ticket's one trace: its parent is the request
that created the ticket (whose traceparent the ticket keeps), its times the period's."""

from collections.abc import Iterable
from datetime import datetime

from opentelemetry import trace
from opentelemetry.context import Context

from intake.domain.ownership import OwnershipPeriod
from ticketflow_shared.telemetry import context_from, current_trace_headers

TRACER = "ticketflow.intake.ownership"


def current_traceparent() -> str | None:
    """The trace context a new ticket keeps, so its later spans join its trace."""
    return current_trace_headers().get("traceparent")


def export_ended(
    ticket_id: str,
    traceparent: str | None,
    periods: Iterable[OwnershipPeriod],
    tracer: trace.Tracer | None = None,
) -> None:
    tracer = tracer or trace.get_tracer(TRACER)
    # A ticket from before it kept its trace starts a trace of its own.
    parent = context_from({"traceparent": traceparent}) if traceparent else Context()
    for period in periods:
        if period.ended_at is None:
            continue
        span = tracer.start_span(
            f"ownership {period.department}",
            context=parent,
            kind=trace.SpanKind.INTERNAL,
            start_time=_nanos(period.started_at),
            attributes=_attributes(ticket_id, period),
        )
        span.end(end_time=_nanos(period.ended_at))


def _attributes(ticket_id: str, period: OwnershipPeriod) -> dict[str, str | float]:
    values = {
        "ticketflow.ticket_id": ticket_id,
        "ticketflow.department": period.department,
        "ticketflow.agent_id": period.agent_id,
        "ticketflow.handoff.from": period.handed_from,
        "ticketflow.handoff.to": period.handed_to,
    }
    return {name: value for name, value in values.items() if value is not None}


def _nanos(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000) * 1_000
