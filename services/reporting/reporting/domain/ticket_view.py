"""One ticket's read-model row as people (and tests) want to see it."""

from datetime import datetime

from pydantic import BaseModel

from reporting.domain.kpis import seconds_between
from reporting.domain.tickets import Assignment, TicketRow


class TicketView(BaseModel):
    """`events_applied` counts the events that moved the row on: a repeat, or an event that
    came after a newer one from the same producer, only added facts and is not counted."""

    ticket_id: str
    status: str
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
    resolved_by: str | None
    first_notified_at: datetime | None
    notifications: int
    assignments: list[Assignment]
    time_to_assign_seconds: float | None
    time_to_resolve_seconds: float | None
    time_to_first_notification_seconds: float | None
    events_applied: int
    last_event_at: datetime | None

    @classmethod
    def of(cls, row: TicketRow) -> "TicketView":
        current = row.current_assignment
        return cls(
            ticket_id=row.ticket_id,
            status=row.status.value,
            category=row.category,
            channel=row.channel,
            priority=row.priority,
            department=row.department,
            agent_id=current.agent_id if current else None,
            agent_name=current.agent_name if current else None,
            created_at=row.created_at,
            queued_at=row.queued_at,
            assigned_at=row.assigned_at,
            resolved_at=row.resolved_at,
            resolved_by=row.resolver,
            first_notified_at=row.first_notified_at,
            notifications=row.notifications,
            assignments=sorted(row.assignments, key=lambda a: (a.assigned_at, a.agent_id)),
            time_to_assign_seconds=seconds_between(row.created_at, row.assigned_at),
            time_to_resolve_seconds=seconds_between(row.created_at, row.resolved_at),
            time_to_first_notification_seconds=seconds_between(
                row.created_at, row.first_notified_at
            ),
            events_applied=row.events_applied,
            last_event_at=row.last_event_at,
        )
