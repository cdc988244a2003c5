"""The Ticket aggregate: its lifecycle, and the events each change records."""

from dataclasses import dataclass, field
from datetime import datetime

from intake.domain.categories import CategoryRule, FieldValue
from intake.domain.errors import AlreadyResolved
from intake.domain.idempotency import IdempotencyRecord
from ticketflow_shared.events import (
    Channel,
    Customer,
    Payload,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
)


@dataclass(frozen=True)
class Assignee:
    agent_id: str
    name: str
    department: str
    assigned_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to the ticket, and the status it left the ticket in."""

    event_type: str
    status: TicketStatus
    at: datetime
    event_id: str | None = None
    agent_id: str | None = None
    note: str | None = None


@dataclass
class Ticket:
    id: str
    channel: Channel
    customer: Customer
    subject: str
    body: str
    category: str
    priority: Priority
    fields: dict[str, FieldValue]
    status: TicketStatus
    created_at: datetime
    updated_at: datetime
    assignee: Assignee | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    applied_events: list[str] = field(default_factory=list)
    resolution: str | None = None
    resolved_at: datetime | None = None
    idempotency: IdempotencyRecord | None = None
    version: int = 0
    events: list[Payload] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        ticket_id: str,
        channel: Channel,
        customer: Customer,
        subject: str,
        body: str,
        rule: CategoryRule,
        fields: dict[str, FieldValue],
        priority: Priority | None,
        now: datetime,
        idempotency: IdempotencyRecord | None = None,
    ) -> "Ticket":
        """Open a ticket in `rule`'s category; raise MissingFields if the rule is not met."""
        rule.require_fields(fields)
        ticket = cls(
            id=ticket_id,
            channel=channel,
            customer=customer,
            subject=subject,
            body=body,
            category=rule.name,
            priority=rule.priority_for(priority),
            fields=dict(fields),
            status=TicketStatus.new,
            created_at=now,
            updated_at=now,
            idempotency=idempotency,
        )
        ticket.history.append(HistoryEntry(TicketCreatedV1.event_type, TicketStatus.new, now))
        ticket.events.append(
            TicketCreatedV1(
                ticket_id=ticket.id,
                channel=channel,
                customer=customer,
                subject=subject,
                body=body,
                category=ticket.category,
                priority=ticket.priority,
                fields=ticket.fields,
                created_at=now,
            )
        )
        return ticket

    def apply_queued(self, event_id: str, event: TicketQueuedV1, now: datetime) -> bool:
        """Routing queued the ticket; False if this event was applied before."""
        if event_id in self.applied_events:
            return False
        self._advance(TicketStatus.queued)
        self._remember(event_id, event.event_type, event.queued_at, now)
        return True

    def apply_assigned(self, event_id: str, event: TicketAssignedV1, now: datetime) -> bool:
        """Routing gave the ticket to an agent; False if this event was applied before."""
        if event_id in self.applied_events:
            return False
        if self.status.rank <= TicketStatus.assigned.rank and self._newer(event.assigned_at):
            self.assignee = Assignee(
                event.agent_id, event.agent_name, event.department, event.assigned_at
            )
            self._advance(TicketStatus.assigned)
        self._remember(event_id, event.event_type, event.assigned_at, now, event.agent_id)
        return True

    def resolve(self, resolution: str | None, now: datetime) -> None:
        if self.status is TicketStatus.resolved:
            raise AlreadyResolved(self.id)
        agent_id = self.assignee.agent_id if self.assignee else None
        self.status = TicketStatus.resolved
        self.resolution = resolution
        self.resolved_at = now
        self.updated_at = now
        self.history.append(
            HistoryEntry(
                TicketResolvedV1.event_type, self.status, now, agent_id=agent_id, note=resolution
            )
        )
        self.events.append(
            TicketResolvedV1(
                ticket_id=self.id, agent_id=agent_id, resolution=resolution, resolved_at=now
            )
        )

    def _advance(self, status: TicketStatus) -> None:
        if status.rank > self.status.rank:
            self.status = status

    def _newer(self, assigned_at: datetime) -> bool:
        # A late, older assignment must not replace a newer one.
        return self.assignee is None or assigned_at >= self.assignee.assigned_at

    def _remember(
        self,
        event_id: str,
        event_type: str,
        at: datetime,
        now: datetime,
        agent_id: str | None = None,
    ) -> None:
        self.applied_events.append(event_id)
        self.history.append(HistoryEntry(event_type, self.status, at, event_id, agent_id))
        self.updated_at = now
