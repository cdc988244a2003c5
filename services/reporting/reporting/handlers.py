"""Reporting's service layer: events go into the read models, queries come out as KPIs."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reporting.domain.agents import AgentProfile, AgentReport, agent_reports
from reporting.domain.changes import TicketChange
from reporting.domain.projection import ticket_change
from reporting.domain.summary import Summary, summarize
from reporting.domain.ticket_view import TicketView
from reporting.domain.tickets import TicketRow, as_utc
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import AgentUpdatedV1, Envelope, Payload, utcnow

log = logging.getLogger(__name__)
EVERYTHING = Scope(everything=True)


class TicketRows(Protocol):
    async def apply(self, change: TicketChange) -> bool:
        """Apply in its producer's order; False for a repeat or a late event (whose facts
        are kept all the same)."""
        ...

    async def get(self, ticket_id: str) -> TicketRow | None: ...

    async def list(self, since: datetime | None = None) -> list[TicketRow]: ...


class AgentProfiles(Protocol):
    async def keep_newest(self, profile: AgentProfile) -> bool:
        """Store the profile unless a newer (or the same) one is kept; True when stored."""
        ...

    async def list(self) -> list[AgentProfile]: ...


@dataclass(frozen=True)
class ReadModels:
    """The read models one reporting process writes and queries, built once at start."""

    tickets: TicketRows
    agents: AgentProfiles


async def project_event(
    envelope: Envelope, payload: Payload, *, tickets: TicketRows, agents: AgentProfiles
) -> None:
    """Fold one event into the read model it belongs to, in its producer's order; safe to
    repeat and to reorder."""
    if isinstance(payload, AgentUpdatedV1):
        changed = await agents.keep_newest(AgentProfile.from_event(payload, envelope.sequence))
    else:
        changed = await tickets.apply(ticket_change(envelope, payload))
    if not changed:
        log.info("%s %s changed nothing (replayed or stale)", envelope.type, envelope.id)


async def summary(
    tickets: TicketRows,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    scope: Scope = EVERYTHING,
) -> Summary:
    since = as_utc(since) if since is not None else None
    rows = visible(await tickets.list(since), scope)
    report = summarize(rows, generated_at=now or utcnow(), since=since)
    # A visible ticket may have passed through departments the caller does not see.
    departments = [d for d in report.departments if scope.allows_department(d.department)]
    return report.model_copy(update={"departments": departments})


async def agents_report(
    tickets: TicketRows, agents: AgentProfiles, scope: Scope = EVERYTHING
) -> list[AgentReport]:
    reports = agent_reports(await agents.list(), visible(await tickets.list(), scope))
    return [report for report in reports if scope.allows_department(report.department)]


async def ticket_view(
    tickets: TicketRows, ticket_id: str, scope: Scope = EVERYTHING
) -> TicketView | None:
    """The row, if `scope` sees it: another department's ticket is as unknown as a missing one."""
    row = await tickets.get(ticket_id)
    if row is None or not scope.allows(row.departments, row.created_by):
        return None
    return TicketView.of(row)


async def sees_ticket(tickets: TicketRows, ticket_id: str, scope: Scope) -> bool:
    return await ticket_view(tickets, ticket_id, scope) is not None


def visible(rows: list[TicketRow], scope: Scope) -> list[TicketRow]:
    if scope.everything:
        return rows
    return [row for row in rows if scope.allows(row.departments, row.created_by)]
