"""The ticket summary: counts by status, department, category and priority, and timings."""

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from reporting.domain.kpis import DurationStats, count_by, duration_stats, seconds_between
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import TicketStatus

UNASSIGNED = "unassigned"
UNKNOWN = "unknown"


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
    time_to_first_notification_seconds: DurationStats


def summarize(
    rows: Sequence[TicketRow], *, generated_at: datetime, since: datetime | None = None
) -> Summary:
    """KPIs over the given rows (already limited to those created since `since`)."""
    by_status = {status.value: 0 for status in TicketStatus}
    by_status.update(count_by(rows, lambda row: row.status.value, UNKNOWN))
    return Summary(
        generated_at=generated_at,
        since=since,
        total_tickets=len(rows),
        backlog=sum(1 for row in rows if row.status.is_open),
        by_status=by_status,
        by_department=count_by(rows, lambda row: row.department, UNASSIGNED),
        by_category=count_by(rows, lambda row: row.category, UNKNOWN),
        by_priority=count_by(rows, lambda row: row.priority, UNKNOWN),
        by_channel=count_by(rows, lambda row: row.channel, UNKNOWN),
        time_to_assign_seconds=_timing(rows, "assigned_at"),
        time_to_resolve_seconds=_timing(rows, "resolved_at"),
        time_to_first_notification_seconds=_timing(rows, "first_notified_at"),
    )


def _timing(rows: Sequence[TicketRow], milestone: str) -> DurationStats:
    """From creation to a milestone's first occurrence, over tickets where both are known."""
    gaps = (seconds_between(row.created_at, getattr(row, milestone)) for row in rows)
    return duration_stats(gap for gap in gaps if gap is not None)
