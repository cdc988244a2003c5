"""One ticket's read-model row as people (and tests) want to see it."""

from datetime import datetime

from pydantic import BaseModel

from reporting.domain.history import Period
from reporting.domain.kpis import seconds_between
from reporting.domain.tickets import Assignment, TicketRow


class Ownership(BaseModel):
    """A department's stretch of ownership; `end` and `seconds` are None while it lasts."""

    department: str
    start: datetime
    end: datetime | None
    seconds: float | None

    @classmethod
    def of(cls, period: Period) -> "Ownership":
        return cls(
            department=period.name, start=period.start, end=period.end, seconds=period.seconds
        )


class TicketView(BaseModel):
    """`events_applied` counts the events that moved the row on: a repeat, or an event that
    came after a newer one from the same producer, only added facts and is not counted.
    `resolved_at` is the first solve, `last_solved_at` the latest; `time_to_resolve_seconds`
    runs to the latest and is None while the ticket is worked on (a reopened one included)."""

    ticket_id: str
    status: str
    status_since: datetime | None
    owning_department: str | None
    category: str | None
    channel: str | None
    priority: str | None
    department: str | None
    agent_id: str | None
    agent_name: str | None
    created_at: datetime | None
    queued_at: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    last_solved_at: datetime | None
    closed_at: datetime | None
    resolved_by: str | None
    reopens: int
    first_response_at: datetime | None
    first_response_by: str | None
    customer_messages: int
    public_replies: int
    internal_notes: int
    handoffs: int
    ownership: list[Ownership]
    time_by_department_seconds: dict[str, float]
    time_in_status_seconds: dict[str, float]
    initial_priority: str | None
    priority_changes: int
    consults: int
    consults_answered: int
    first_notified_at: datetime | None
    notifications: int
    assignments: list[Assignment]
    time_to_assign_seconds: float | None
    time_to_resolve_seconds: float | None
    time_to_first_resolve_seconds: float | None
    time_to_first_response_seconds: float | None
    time_to_first_notification_seconds: float | None
    events_applied: int
    last_event_at: datetime | None

    @classmethod
    def of(cls, row: TicketRow) -> "TicketView":
        current = row.current_assignment
        reply = row.first_response
        thread = row.thread
        consults = row.consulted.values()
        return cls(
            ticket_id=row.ticket_id,
            status=row.status.value,
            status_since=row.status_since,
            owning_department=row.owning_department,
            category=row.category,
            channel=row.channel,
            priority=row.current_priority,
            department=row.department,
            agent_id=current.agent_id if current else None,
            agent_name=current.agent_name if current else None,
            created_at=row.created_at,
            queued_at=row.queued_at,
            assigned_at=row.assigned_at,
            resolved_at=row.resolved_at,
            last_solved_at=row.last_solved_at,
            closed_at=row.closed_at,
            resolved_by=row.resolver,
            reopens=row.reopens,
            first_response_at=reply.at if reply else None,
            first_response_by=reply.agent_id if reply else None,
            customer_messages=sum(1 for m in thread if m.is_from_customer),
            public_replies=sum(1 for m in thread if m.is_public_reply),
            internal_notes=sum(1 for m in thread if m.is_internal_note),
            handoffs=len(row.handoffs),
            ownership=[Ownership.of(period) for period in row.ownership],
            time_by_department_seconds=row.time_by_department,
            time_in_status_seconds=row.time_in_status,
            initial_priority=row.priority,
            priority_changes=row.priority_changes,
            consults=len(consults),
            consults_answered=sum(1 for states in consults if "answered" in states),
            first_notified_at=row.first_notified_at,
            notifications=row.notifications,
            assignments=sorted(row.assignments, key=lambda a: (a.assigned_at, a.agent_id)),
            time_to_assign_seconds=seconds_between(row.created_at, row.assigned_at),
            time_to_resolve_seconds=seconds_between(row.created_at, row.finished_at),
            time_to_first_resolve_seconds=seconds_between(row.created_at, row.resolved_at),
            time_to_first_response_seconds=seconds_between(
                row.created_at, reply.at if reply else None
            ),
            time_to_first_notification_seconds=seconds_between(
                row.created_at, row.first_notified_at
            ),
            events_applied=row.events_applied,
            last_event_at=row.last_event_at,
        )
