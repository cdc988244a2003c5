"""Per-department scorecards: what each department owns, where its tickets wait, how long it
holds them, how fast it answers first and how often what it solved came back."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from reporting.domain.history import reopens_after_solves
from reporting.domain.kpis import DurationStats, duration_stats, seconds_between
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import TicketStatus

# The statuses a ticket can get stuck in while someone owns it.
WAITING = (TicketStatus.open, TicketStatus.pending, TicketStatus.on_hold)


class Waiting(BaseModel):
    """The department's tickets in one status now, and the one there longest."""

    count: int = 0
    oldest_ticket_id: str | None = None
    oldest_since: datetime | None = None
    longest_seconds: float | None = None


class DepartmentReport(BaseModel):
    department: str
    tickets: int
    backlog: int
    waiting: dict[str, Waiting]
    time_owned_seconds: DurationStats
    first_response_seconds: DurationStats
    reopens: int
    handoffs_in: int
    handoffs_out: int


def department_reports(rows: Sequence[TicketRow], *, now: datetime) -> list[DepartmentReport]:
    """One scorecard per department any ticket was owned by, answered from or handed to."""
    owned: dict[str, list[TicketRow]] = defaultdict(list)
    time_owned: dict[str, list[float]] = defaultdict(list)
    first_response: dict[str, list[float]] = defaultdict(list)
    reopens: dict[str, int] = defaultdict(int)
    handoffs_in: dict[str, int] = defaultdict(int)
    handoffs_out: dict[str, int] = defaultdict(int)
    for row in rows:
        if (owner := row.owning_department) is not None:
            owned[owner].append(row)
        for department, seconds in row.time_by_department.items():
            time_owned[department].append(seconds)
        reply = row.first_response
        if reply is not None:
            answered_by = reply.department or row.owner_department
            gap = seconds_between(row.created_at, reply.at)
            if answered_by is not None and gap is not None:
                first_response[answered_by].append(gap)
        for solve in reopens_after_solves(row.status_changes):
            solved_by = (solve and solve.department) or row.owning_department
            if solved_by is not None:
                reopens[solved_by] += 1
        for transfer in row.handoffs:
            handoffs_in[transfer.to_department] += 1
            if transfer.from_department is not None:
                handoffs_out[transfer.from_department] += 1
    names = {*owned, *time_owned, *first_response, *handoffs_in, *handoffs_out}
    return [
        DepartmentReport(
            department=name,
            tickets=len(owned[name]),
            backlog=sum(1 for row in owned[name] if row.status.is_open),
            waiting=waiting(owned[name], now=now),
            time_owned_seconds=duration_stats(time_owned[name]),
            first_response_seconds=duration_stats(first_response[name]),
            reopens=reopens[name],
            handoffs_in=handoffs_in[name],
            handoffs_out=handoffs_out[name],
        )
        for name in sorted(names)
    ]


def waiting(rows: Sequence[TicketRow], *, now: datetime) -> dict[str, Waiting]:
    """Per waiting status, how many of `rows` are in it and which has been there longest."""
    report = {status.value: Waiting() for status in WAITING}
    for row in rows:
        kept = report.get(row.status.value)
        if kept is None:
            continue
        kept.count += 1
        since = row.status_since
        if since is not None and (kept.oldest_since is None or since < kept.oldest_since):
            kept.oldest_ticket_id, kept.oldest_since = row.ticket_id, since
            kept.longest_seconds = seconds_between(since, now)
    return report
