"""The Ticket aggregate: its lifecycle, and the events each change records.

Every change raises `version` by one, and so does every event a change records beyond its
first: each event carries its own version as `sequence`, so a change that records several
(a macro setting the status and posting a reply) is still one step per event for consumers.
Routing's events are applied in routing's own order: the ticket keeps, per producer, the
highest sequence it applied (`sequences`) and ignores an event that is not above it, which is
both how a redelivery changes nothing and how a late event can never undo a newer one, while a
newer one may well move the ticket "back" (out of an agent's hands into the queue again).
"""

from dataclasses import dataclass, field
from datetime import datetime

from intake.domain.categories import CategoryRule, FieldValue
from intake.domain.errors import AlreadyResolved
from intake.domain.idempotency import IdempotencyRecord
from intake.domain.tags import checked_tags
from ticketflow_shared.events import (
    Channel,
    Customer,
    Payload,
    Position,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketUpdatedV1,
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
    # Highest sequence applied per producer of events about this ticket (routing's).
    sequences: dict[str, int] = field(default_factory=dict)
    resolution: str | None = None
    resolved_at: datetime | None = None
    idempotency: IdempotencyRecord | None = None
    # Changes so far, creation included; what this ticket's own events carry as `sequence`.
    version: int = 0
    # The department that owns the ticket (its category's) and the actor who opened it.
    department: str | None = None
    created_by: str | None = None
    events: list[Payload] = field(default_factory=list, compare=False, repr=False)
    tags: list[str] = field(default_factory=list)

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
        created_by: str | None = None,
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
            version=1,
            department=rule.department,
            created_by=created_by,
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
                department=ticket.department,
                created_by=created_by,
            )
        )
        return ticket

    @property
    def departments(self) -> frozenset[str]:
        """Departments whose people may see the ticket: its owner's and its agent's."""
        owners = {self.department, self.assignee.department if self.assignee else None}
        return frozenset(name for name in owners if name)

    def apply_queued(self, position: Position, event: TicketQueuedV1, now: datetime) -> bool:
        """Routing queued the ticket (again); False for a repeat or a late event."""
        if not self._accepts(position):
            return False
        if self.status.is_open:
            self.status = TicketStatus.queued
            self.assignee = None
        self._remember(position, event.event_type, event.queued_at, now)
        return True

    def apply_assigned(self, position: Position, event: TicketAssignedV1, now: datetime) -> bool:
        """Routing gave the ticket to an agent; False for a repeat or a late event."""
        if not self._accepts(position):
            return False
        if self.status.is_open:
            self.status = TicketStatus.open
            self.assignee = Assignee(
                event.agent_id, event.agent_name, event.department, event.assigned_at
            )
        self._remember(position, event.event_type, event.assigned_at, now, event.agent_id)
        return True

    def resolve(self, resolution: str | None, now: datetime) -> None:
        # Refused for what the ticket is now, not for what it once was, so a reopened
        # ticket (once reopening exists) can be resolved again.
        if self.status is TicketStatus.solved:
            raise AlreadyResolved(self.id)
        agent_id = self.assignee.agent_id if self.assignee else None
        self.status = TicketStatus.solved
        self.resolution = resolution
        self.resolved_at = now
        self.history.append(
            HistoryEntry(
                TicketResolvedV1.event_type, self.status, now, agent_id=agent_id, note=resolution
            )
        )
        self._record(
            TicketResolvedV1(
                ticket_id=self.id, agent_id=agent_id, resolution=resolution, resolved_at=now
            ),
            now,
        )

    def change_priority_tags(
        self,
        *,
        priority: Priority | None = None,
        tags: list[str] | None = None,
        actor: str,
        now: datetime,
    ) -> bool:
        """Set the priority and/or replace the tags; False (nothing recorded) if neither
        changes. Raises InvalidTags for a bad tag or too many."""
        new_priority = priority or self.priority
        new_tags = self.tags if tags is None else checked_tags(tags)
        if new_priority is self.priority and new_tags == self.tags:
            return False
        self.priority = new_priority
        self.tags = new_tags
        self.history.append(HistoryEntry(TicketUpdatedV1.event_type, self.status, now))
        self._record(
            TicketUpdatedV1(
                ticket_id=self.id,
                priority=new_priority,
                tags=list(new_tags),
                actor=actor,
                updated_at=now,
            ),
            now,
        )
        return True

    def _accepts(self, position: Position) -> bool:
        # Whether open or resolved, the ticket takes note of routing's newer events: a
        # resolved ticket stays resolved (intake owns that), but its history shows them.
        return position.is_newer_than(self.sequences.get(position.producer))

    def _remember(
        self,
        position: Position,
        event_type: str,
        at: datetime,
        now: datetime,
        agent_id: str | None = None,
    ) -> None:
        position.advance(self.sequences)
        self.history.append(HistoryEntry(event_type, self.status, at, position.event_id, agent_id))
        self._changed(now)

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _record(self, event: Payload, now: datetime) -> None:
        """Record `event` as one more version of the ticket."""
        self.events.append(event)
        self._changed(now)
