"""The ticket summary: counts by status, department, category and priority, timings, reopens,
handoffs, the conversation, and a scorecard per department."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel

from reporting.domain.departments import DepartmentReport, department_reports
from reporting.domain.kpis import DurationStats, count_by, duration_stats, ratio, seconds_between
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import TicketStatus

UNASSIGNED = "unassigned"
UNKNOWN = "unknown"
# The statuses whose time is reported: where tickets wait before they are done.
TIMED_STATUSES = (TicketStatus.new, TicketStatus.open, TicketStatus.pending, TicketStatus.on_hold)


class Reopens(BaseModel):
    """`rate` is reopened tickets over tickets ever solved."""

    solved_tickets: int
    reopened_tickets: int
    reopens: int
    rate: float | None


class SelfService(BaseModel):
    """Tickets the customer solved from a suggested article, without an agent; `rate` is
    those over tickets ever solved."""

    solved_tickets: int
    self_served_tickets: int
    rate: float | None


class Handoffs(BaseModel):
    total: int
    tickets_handed_off: int
    per_ticket: float | None


class Conversation(BaseModel):
    customer_messages: int
    public_replies: int
    internal_notes: int
    consults: int
    consults_answered: int
    priority_changes: int


class Summary(BaseModel):
    generated_at: datetime
    since: datetime | None
    total_tickets: int
    backlog: int
    by_status: dict[str, int]
    by_department: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_channel: dict[str, int]
    time_to_assign_seconds: DurationStats
    time_to_resolve_seconds: DurationStats
    time_to_first_resolve_seconds: DurationStats
    time_to_first_response_seconds: DurationStats
    time_to_first_notification_seconds: DurationStats
    time_in_status_seconds: dict[str, DurationStats]
    reopens: Reopens
    self_service: SelfService
    handoffs: Handoffs
    conversation: Conversation
    departments: list[DepartmentReport]


def summarize(
    rows: Sequence[TicketRow], *, generated_at: datetime, since: datetime | None = None
) -> Summary:
    """KPIs over the given rows (already limited to those created since `since`)."""
    by_status = {status.value: 0 for status in TicketStatus}
    by_status.update(count_by(rows, lambda row: row.status.value, UNKNOWN))
    first_replies = [(row, row.first_response) for row in rows]
    return Summary(
        generated_at=generated_at,
        since=since,
        total_tickets=len(rows),
        backlog=sum(1 for row in rows if row.status.is_open),
        by_status=by_status,
        by_department=count_by(rows, lambda row: row.department, UNASSIGNED),
        by_category=count_by(rows, lambda row: row.category, UNKNOWN),
        by_priority=count_by(rows, lambda row: row.current_priority, UNKNOWN),
        by_channel=count_by(rows, lambda row: row.channel, UNKNOWN),
        time_to_assign_seconds=_timing(rows, "assigned_at"),
        time_to_resolve_seconds=_timing(rows, "finished_at"),
        time_to_first_resolve_seconds=_timing(rows, "resolved_at"),
        time_to_first_response_seconds=_stats(
            seconds_between(row.created_at, reply.at) for row, reply in first_replies if reply
        ),
        time_to_first_notification_seconds=_timing(rows, "first_notified_at"),
        time_in_status_seconds={
            status.value: _stats(row.time_in_status.get(status.value) for row in rows)
            for status in TIMED_STATUSES
        },
        reopens=_reopens(rows),
        self_service=_self_service(rows),
        handoffs=_handoffs(rows),
        conversation=_conversation(rows),
        departments=department_reports(rows, now=generated_at),
    )


def _timing(rows: Sequence[TicketRow], milestone: str) -> DurationStats:
    """From creation to a milestone, over tickets where both are known."""
    return _stats(seconds_between(row.created_at, getattr(row, milestone)) for row in rows)


def _stats(gaps: Iterable[float | None]) -> DurationStats:
    return duration_stats(gap for gap in gaps if gap is not None)


def _reopens(rows: Sequence[TicketRow]) -> Reopens:
    solved = [row for row in rows if row.resolved_at is not None or row.reopens]
    reopened = [row for row in solved if row.reopens]
    return Reopens(
        solved_tickets=len(solved),
        reopened_tickets=len(reopened),
        reopens=sum(row.reopens for row in reopened),
        rate=ratio(len(reopened), len(solved)),
    )


def _self_service(rows: Sequence[TicketRow]) -> SelfService:
    solved = sum(1 for row in rows if row.resolved_at is not None)
    served = sum(1 for row in rows if row.self_served_at is not None)
    return SelfService(
        solved_tickets=solved, self_served_tickets=served, rate=ratio(served, solved)
    )


def _handoffs(rows: Sequence[TicketRow]) -> Handoffs:
    counts = [len(row.handoffs) for row in rows]
    return Handoffs(
        total=sum(counts),
        tickets_handed_off=sum(1 for count in counts if count),
        per_ticket=ratio(sum(counts), len(rows)),
    )


def _conversation(rows: Sequence[TicketRow]) -> Conversation:
    thread = [message for row in rows for message in row.thread]
    consults = [states for row in rows for states in row.consulted.values()]
    return Conversation(
        customer_messages=sum(1 for m in thread if m.is_from_customer),
        public_replies=sum(1 for m in thread if m.is_public_reply),
        internal_notes=sum(1 for m in thread if m.is_internal_note),
        consults=len(consults),
        consults_answered=sum(1 for states in consults if "answered" in states),
        priority_changes=sum(row.priority_changes for row in rows),
    )
