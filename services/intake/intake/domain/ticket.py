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
from intake.domain.consults import Consult, ConsultingOwner, ConsultNotFound, NotConsulted
from intake.domain.errors import AlreadyResolved
from intake.domain.handoffs import AlreadyOwned, HandoffChecklist, NotTransferable, require_handoff
from intake.domain.idempotency import IdempotencyRecord
from intake.domain.ownership import Ownership
from intake.domain.tags import checked_tags
from ticketflow_shared.events import (
    Channel,
    Customer,
    Payload,
    Position,
    Priority,
    TicketAssignedV1,
    TicketConsultedV1,
    TicketCreatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketTransferredV1,
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
    # Handoffs: who owned it when, the side conversations, and the trace of its creation
    # (W3C traceparent), which each ownership period's span joins.
    ownership: Ownership = field(default_factory=Ownership)
    consults: list[Consult] = field(default_factory=list)
    traceparent: str | None = None

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
        ticket._follow_ownership(now)
        return ticket

    @property
    def departments(self) -> frozenset[str]:
        """Departments whose people may see the ticket: its owner's and its agent's, those
        that owned it before and those it consulted."""
        consulted = {consult.department for consult in self.consults}
        return self.owning_departments | self.ownership.departments | consulted

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
        self._follow_ownership(now)

    def _record(self, event: Payload, now: datetime) -> None:
        """Record `event` as one more version of the ticket."""
        self.events.append(event)
        self._changed(now)

    # Handoffs: transfers, consults and the ownership chain (domain/handoffs.py, consults.py,
    # ownership.py hold the rules).

    @property
    def owning_departments(self) -> frozenset[str]:
        """Departments whose people may work on the ticket: its owner's and its agent's (past
        owners and consulted departments only read it)."""
        owners = {self.department, self.assignee.department if self.assignee else None}
        return frozenset(name for name in owners if name)

    def transfer(
        self,
        *,
        to_department: str,
        skill: str | None,
        note: str,
        ticked: list[str],
        checklist: HandoffChecklist | None,
        actor: str,
        now: datetime,
    ) -> None:
        """Hand the ticket to `to_department`, unowned until routing assigns it there; the
        lifecycle status stays as it is. Refused, changing nothing, without the note or a
        required item of the receiving department's checklist."""
        if to_department == self.department:
            raise AlreadyOwned(self.id, to_department)
        if not self.status.is_open:
            raise NotTransferable(self.id, self.status)
        require_handoff(checklist, self.category, note, ticked)
        self._follow_ownership(now)
        from_department = self.department
        from_agent = self.assignee.agent_id if self.assignee else None
        self.ownership.hand_over(to_department=to_department, note=note, now=now)
        self.department = to_department
        self.assignee = None
        # The note stays with the chain: history is what integrations read of their tickets.
        self.history.append(
            HistoryEntry(TicketTransferredV1.event_type, self.status, now, agent_id=from_agent)
        )
        self._record(
            TicketTransferredV1(
                ticket_id=self.id,
                from_department=from_department,
                to_department=to_department,
                skill=skill,
                from_agent_id=from_agent,
                note=note,
                checklist=list(dict.fromkeys(ticked)),
                priority=self.priority,
                category=self.category,
                actor=actor,
                transferred_at=now,
            ),
            now,
        )

    def consult(
        self, *, consult_id: str, department: str, question: str, actor: str, now: datetime
    ) -> Consult:
        """Ask another department; it may read the ticket from now on."""
        if department == self.department:
            raise ConsultingOwner(self.id, department)
        consult = Consult(consult_id, department, question, actor, now)
        self.consults.append(consult)
        self._record_consult(consult, actor, now)
        return consult

    def answer_consult(
        self,
        consult_id: str,
        *,
        answer: str,
        actor: str,
        answerer: frozenset[str] | None,
        now: datetime,
    ) -> Consult:
        """The consulted department answers; `answerer` is the departments the actor speaks
        for (None: any, as an admin)."""
        index = next((n for n, c in enumerate(self.consults) if c.id == consult_id), None)
        if index is None:
            raise ConsultNotFound(self.id, consult_id)
        consult = self.consults[index]
        if answerer is not None and consult.department not in answerer:
            raise NotConsulted(consult_id, consult.department)
        self.consults[index] = consult = consult.answered(answer, actor, now)
        self._record_consult(consult, actor, now)
        return consult

    def _record_consult(self, consult: Consult, actor: str, now: datetime) -> None:
        self.history.append(HistoryEntry(TicketConsultedV1.event_type, self.status, now))
        self._record(
            TicketConsultedV1(
                ticket_id=self.id,
                consult_id=consult.id,
                department=consult.department,
                status=consult.status,
                question=consult.question,
                answer=consult.answer,
                actor=actor,
                at=now,
            ),
            now,
        )

    def _follow_ownership(self, now: datetime) -> None:
        """Open, move or end the ownership period after whatever changed the ticket."""
        self.ownership.follow(
            department=self.department,
            agent_id=self.assignee.agent_id if self.assignee else None,
            owned=self.status.is_open,
            since=self.created_at,
            now=now,
        )
