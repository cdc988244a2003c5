"""The agents read model, and per-agent workload figures joined from the ticket rows."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from reporting.domain.history import reopens_after_solves
from reporting.domain.kpis import DurationStats, duration_stats, seconds_between
from reporting.domain.tickets import Assignment, TicketRow, as_utc
from ticketflow_shared.events import AgentUpdatedV1


class AgentProfile(BaseModel):
    """An agent as routing last described it.

    `version` is the agent's profile version the event carried (its `sequence`); a change of
    load (a ticket taken or let go) keeps the version, so within one version the later
    `updated_at` is the newer word. None for events from before sequences.
    """

    agent_id: str
    name: str
    department: str
    capacity: int
    presence: str
    active_tickets: int
    updated_at: datetime
    version: int | None = None
    presence_reason: str | None = None

    @classmethod
    def from_event(cls, event: AgentUpdatedV1, version: int | None = None) -> "AgentProfile":
        return cls(
            agent_id=event.agent_id,
            name=event.name,
            department=event.department,
            capacity=event.capacity,
            presence=event.presence.value,
            active_tickets=event.active_tickets,
            updated_at=as_utc(event.updated_at),
            version=version,
            presence_reason=event.presence_reason,
        )

    @property
    def order(self) -> str:
        """Sorts as (version, updated_at) do, so one comparison in a store filter orders two
        profiles; a profile without a version sorts before every versioned one."""
        version = -1 if self.version is None else self.version
        return f"{version + 1:012d}|{as_utc(self.updated_at).isoformat(timespec='microseconds')}"


def newest_profile(current: AgentProfile | None, incoming: AgentProfile) -> AgentProfile:
    """The higher (version, updated_at) wins: a stale load update from before a profile change
    can never bring the old profile back. On a tie the profile already kept stays, so
    replays are no-ops."""
    if current is None or incoming.order > current.order:
        return incoming
    return current


class AgentReport(BaseModel):
    agent_id: str
    name: str
    department: str
    presence: str | None
    presence_reason: str | None = None
    capacity: int | None
    active_tickets: int | None
    open_tickets: int
    assigned_count: int
    resolved_count: int
    updated_at: datetime | None
    # Tickets the agent answered first (their first public reply), and how soon after creation.
    first_responses: int = 0
    first_response_seconds: DurationStats = DurationStats(count=0, median=None, p90=None)
    # Reopens of tickets the agent had solved.
    reopened_count: int = 0


def agent_reports(profiles: Iterable[AgentProfile], rows: Sequence[TicketRow]) -> list[AgentReport]:
    """One line per agent known from agent.updated or from any assignment, by department, name.

    `active_tickets` is routing's own count; `open_tickets`, `assigned_count` (distinct
    tickets ever assigned to the agent), `resolved_count`, the first responses and the reopens
    come from the ticket rows.
    """
    known = {profile.agent_id: profile for profile in profiles}
    assigned = Counter(agent for row in rows for agent in {a.agent_id for a in row.assignments})
    open_now = Counter(row.agent_id for row in rows if row.status.is_open and row.agent_id)
    resolved = Counter(row.resolver for row in rows if row.resolver)
    first_responses = _first_responses(rows)
    reopened = Counter(
        solve.agent_id
        for row in rows
        for solve in reopens_after_solves(row.status_changes)
        if solve is not None and solve.agent_id
    )
    seen_only_on_tickets = _latest_assignments(rows)
    agent_ids = set(known) | set(seen_only_on_tickets)
    reports = [
        _report(
            agent_id,
            known.get(agent_id),
            seen_only_on_tickets.get(agent_id),
            open_tickets=open_now[agent_id],
            assigned_count=assigned[agent_id],
            resolved_count=resolved[agent_id],
            first_responses=len(first_responses[agent_id]),
            first_response_seconds=duration_stats(first_responses[agent_id]),
            reopened_count=reopened[agent_id],
        )
        for agent_id in agent_ids
    ]
    return sorted(reports, key=lambda r: (r.department, r.name, r.agent_id))


def _first_responses(rows: Iterable[TicketRow]) -> dict[str, list[float]]:
    """Per agent, seconds from creation to their reply on each ticket they answered first."""
    gaps: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        reply = row.first_response
        gap = seconds_between(row.created_at, reply.at) if reply else None
        if reply is not None and reply.agent_id and gap is not None:
            gaps[reply.agent_id].append(gap)
    return gaps


def _latest_assignments(rows: Iterable[TicketRow]) -> dict[str, Assignment]:
    latest: dict[str, Assignment] = {}
    for assignment in (a for row in rows for a in row.assignments):
        kept = latest.get(assignment.agent_id)
        if kept is None or as_utc(assignment.assigned_at) > as_utc(kept.assigned_at):
            latest[assignment.agent_id] = assignment
    return latest


def _report(
    agent_id: str,
    profile: AgentProfile | None,
    assignment: Assignment | None,
    **counts: Any,
) -> AgentReport:
    if profile is not None:
        return AgentReport(
            agent_id=agent_id,
            name=profile.name,
            department=profile.department,
            presence=profile.presence,
            presence_reason=profile.presence_reason,
            capacity=profile.capacity,
            active_tickets=profile.active_tickets,
            updated_at=profile.updated_at,
            **counts,
        )
    # Assigned before its agent.updated event arrived: name and department from the ticket.
    assert assignment is not None
    return AgentReport(
        agent_id=agent_id,
        name=assignment.agent_name,
        department=assignment.department,
        presence=None,
        capacity=None,
        active_tickets=None,
        updated_at=None,
        **counts,
    )
