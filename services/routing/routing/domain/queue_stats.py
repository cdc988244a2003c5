"""Live figures per department's queue, as an operator watches them: how many wait and for
how long, who could take them and who is free now, offers out, tickets whose SLA is at risk."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from routing.domain.agents import Agent
from routing.domain.tickets import QueueEntry
from ticketflow_shared.events import Presence, Priority

NO_DEPARTMENT = "(none)"
"""Where tickets of no department wait (any agent may take them)."""


@dataclass(frozen=True)
class QueueStats:
    department: str
    waiting: int = 0
    waiting_by_priority: dict[str, int] = field(default_factory=dict)
    longest_wait_seconds: float | None = None
    oldest_ticket_id: str | None = None
    eligible_agents: int = 0
    available_agents: int = 0
    offers_outstanding: int = 0
    sla_at_risk: int = 0


def _can_work(agent: Agent, entry: QueueEntry) -> bool:
    need = entry.ticket.requirement
    return agent.serves(entry.ticket.department) and agent.level(need.skill) >= need.min_level


def queue_stats(
    entries: Iterable[QueueEntry],
    agents: Iterable[Agent],
    *,
    now: datetime,
    on_shift: Callable[[Agent], bool],
    offers_by_department: Mapping[str, int],
    at_risk: set[str],
) -> list[QueueStats]:
    """One row per department with waiting tickets or agents. Eligible agents have the skill
    for at least one of its waiting tickets (all its agents when none wait); available ones of
    those are available, on shift and have a free slot."""
    waiting: dict[str, list[QueueEntry]] = {}
    for entry in entries:
        waiting.setdefault(entry.ticket.department or NO_DEPARTMENT, []).append(entry)
    staff: dict[str, list[Agent]] = {}
    for agent in agents:
        staff.setdefault(agent.department, []).append(agent)
    rows = []
    for department in sorted(set(waiting) | set(staff) | set(offers_by_department)):
        queued = waiting.get(department, [])
        members = (
            staff.get(department, [])
            if department != NO_DEPARTMENT
            else list(a for group in staff.values() for a in group)
        )
        eligible = [a for a in members if not queued or any(_can_work(a, e) for e in queued)]
        available = [
            a
            for a in eligible
            if a.presence is Presence.available and a.free_slots > 0 and on_shift(a)
        ]
        oldest = min(queued, key=lambda e: (e.queued_at, e.ticket.ticket_id), default=None)
        counts = Counter(e.ticket.priority.value for e in queued)
        rows.append(
            QueueStats(
                department=department,
                waiting=len(queued),
                waiting_by_priority={p.value: counts.get(p.value, 0) for p in Priority},
                longest_wait_seconds=(now - oldest.queued_at).total_seconds() if oldest else None,
                oldest_ticket_id=oldest.ticket.ticket_id if oldest else None,
                eligible_agents=len(eligible),
                available_agents=len(available),
                offers_outstanding=offers_by_department.get(department, 0),
                sla_at_risk=sum(e.ticket.ticket_id in at_risk for e in queued),
            )
        )
    return rows
