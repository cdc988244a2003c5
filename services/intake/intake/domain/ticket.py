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

from intake.domain import lifecycle, messages, procedure
from intake.domain.attachments import AttachmentRef
from intake.domain.categories import CategoryRule, FieldValue, missing
from intake.domain.consults import Consult, ConsultingOwner, ConsultNotFound, NotConsulted
from intake.domain.errors import FieldsNeededToSolve, TicketClosed
from intake.domain.handoffs import AlreadyOwned, HandoffChecklist, NotTransferable, require_handoff
from intake.domain.idempotency import IdempotencyRecord
from intake.domain.messages import Message
from intake.domain.ownership import Ownership
from intake.domain.procedure import StepState
from intake.domain.tags import checked_tags
from ticketflow_shared.events import (
    ArticleSuggestion,
    AuthorKind,
    Channel,
    Customer,
    EscalationTrigger,
    Payload,
    Position,
    Priority,
    TicketAssignedV1,
    TicketConsultedV1,
    TicketCreatedV1,
    TicketEscalatedV1,
    TicketMergedV1,
    TicketMessageAddedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketSplitV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
    Visibility,
)

SYSTEM = "system"
SELF_SERVICE = "self-service"  # how a solve by the customer's own reading is explained
MERGE = "merge"  # what a message copied from a merged ticket says it `joined` by


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
    # Who made a lifecycle change (`user:<sub>`, `key:<id>`, `system`); None for routing's.
    actor: str | None = None


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
    # The lifecycle, the conversation and the procedure (SOP).
    messages: list[Message] = field(default_factory=list)
    first_response_at: datetime | None = None
    reopen_count: int = 0
    closed_at: datetime | None = None
    follow_up_of: str | None = None
    follow_ups: list[str] = field(default_factory=list)
    procedure: list[StepState] = field(default_factory=list)
    events: list[Payload] = field(default_factory=list, compare=False, repr=False)
    tags: list[str] = field(default_factory=list)
    # Handoffs: who owned it when, the side conversations, and the trace of its creation
    # (W3C traceparent), which each ownership period's span joins.
    ownership: Ownership = field(default_factory=Ownership)
    consults: list[Consult] = field(default_factory=list)
    traceparent: str | None = None
    # The ids other systems know the ticket by (a CRM's case id), and the customer's tier.
    external_refs: dict[str, str] = field(default_factory=dict)
    customer_tier: str | None = None
    # Fields the category requires before solving, as the rule said when the ticket opened.
    required_before_solve: tuple[str, ...] = ()
    # What automatic triage decided at creation and why (domain/triage.py).
    triage: dict | None = None

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
        follow_up_of: str | None = None,
        external_refs: dict[str, str] | None = None,
        customer_tier: str | None = None,
        suggestions: list[ArticleSuggestion] | None = None,
    ) -> "Ticket":
        """Open a ticket in `rule`'s category; raise MissingFields if the rule is not met.
        `suggestions`: knowledge-base articles the acknowledgement offers."""
        rule.require_fields(fields, channel)
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
            follow_up_of=follow_up_of,
            procedure=procedure.snapshot(rule.procedure),
            external_refs=dict(external_refs or {}),
            customer_tier=customer_tier,
            required_before_solve=rule.required_before_solve,
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
                external_refs=ticket.external_refs,
                customer_tier=customer_tier,
                suggestions=list(suggestions or ()),
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
        """Routing queued the ticket (again): nobody owns it now, whatever its status (routing
        waits for an agent; intake's status stays); False for a repeat or a late event."""
        if not self._accepts(position):
            return False
        if self.status.is_open:
            self.assignee = None
        self._remember(position, event.event_type, event.queued_at, now)
        return True

    def apply_assigned(self, position: Position, event: TicketAssignedV1, now: datetime) -> bool:
        """Routing gave the ticket to an agent: a new ticket becomes open, recorded as a status
        change by `system` (routing decides, no person); False for a repeat or a late event."""
        if not self._accepts(position):
            return False
        opened: Payload | None = None
        if self.status.is_open:
            self.assignee = Assignee(
                event.agent_id, event.agent_name, event.department, event.assigned_at
            )
        if self.status is TicketStatus.new:
            self.status = TicketStatus.open
            opened = self._status_changed(TicketStatus.new, SYSTEM, "assigned", now)
        self._remember(position, event.event_type, event.assigned_at, now, event.agent_id, opened)
        return True

    def resolve(self, resolution: str | None, now: datetime, actor: str | None = None) -> None:
        """Solve the ticket (`POST /tickets/{id}/resolve`): the lifecycle's solve."""
        self.change_status(TicketStatus.solved, actor=actor or SYSTEM, reason=resolution, now=now)

    def solve_by_self_service(
        self, article_id: str, title: str, *, actor: str, now: datetime
    ) -> bool:
        """The customer says a suggested article solved their problem: solved now, without
        the procedure or fields an agent's solve needs (nobody worked the ticket); False when
        it is solved or closed already, so a second click changes nothing."""
        if self.status in (TicketStatus.solved, TicketStatus.closed):
            return False
        lifecycle.check_transition(self.id, self.status, TicketStatus.solved)
        lifecycle.check_room(self.id, sum(entry.actor is not None for entry in self.history))
        self._transition(
            TicketStatus.solved,
            actor=actor,
            reason=f"{SELF_SERVICE}: {title} ({article_id})",
            now=now,
            self_service_article=article_id,
        )
        return True

    def raise_priority(self, priority: Priority, *, actor: str, now: datetime) -> bool:
        """An escalation's priority, only if more urgent than the ticket's (never lowers);
        recorded as ticket.updated.v1. False when it changes nothing."""
        if priority.rank >= self.priority.rank:
            return False
        return self.change_priority_tags(priority=priority, actor=actor, now=now)

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

    def change_fields(self, fields: dict[str, FieldValue], *, actor: str, now: datetime) -> bool:
        """Set the given fields (others stay); recorded as ticket.updated.v1 with the fields
        that changed. False (nothing recorded) if none does."""
        changed = {name: v for name, v in fields.items() if self.fields.get(name) != v}
        if not changed:
            return False
        self.fields = {**self.fields, **changed}
        self.history.append(HistoryEntry(TicketUpdatedV1.event_type, self.status, now))
        updated = TicketUpdatedV1(
            ticket_id=self.id,
            priority=self.priority,
            tags=list(self.tags),
            actor=actor,
            updated_at=now,
            fields=changed,
        )
        self._record(updated, now)
        return True

    def _require_solve_fields(self) -> None:
        empty = missing(self.required_before_solve, self.fields)
        if empty:
            raise FieldsNeededToSolve(self.id, empty)

    def apply_triage(
        self, record: dict | None, tags: list[str], escalation: str | None, *, source: str
    ) -> None:
        """Keep what triage decided for the new ticket and add its tags; a raise for the
        customer's emotion is recorded as ticket.escalated.v1 (the priority is already set)."""
        if record is None:
            return
        self.triage = record
        self.tags = checked_tags([*self.tags, *tags])
        if escalation:
            self.record_escalation(escalation, source=source, now=self.created_at)

    def escalate_for_emotion(
        self, priority: Priority | None, reason: str, *, source: str, now: datetime
    ) -> bool:
        """A customer message read as angry or a crisis: raise the priority (never lower it)
        and record why as ticket.escalated.v1; False when the priority is already there."""
        if priority is None or not self.raise_priority(priority, actor=f"system:{source}", now=now):
            return False
        self.record_escalation(reason, source=source, now=now)
        return True

    def record_escalation(self, reason: str, *, source: str, now: datetime) -> None:
        self.history.append(
            HistoryEntry(TicketEscalatedV1.event_type, self.status, now, note=reason)
        )
        self._record(
            TicketEscalatedV1(
                ticket_id=self.id,
                source=source,
                trigger=EscalationTrigger.emotion,
                reason=reason,
                priority=self.priority,
                department=self.department,
                agent_id=self.assignee.agent_id if self.assignee else None,
                escalated_at=now,
            ),
            now,
        )

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
        recorded: Payload | None = None,
    ) -> None:
        """Note one of routing's events, and the event it caused here, if any."""
        position.advance(self.sequences)
        self.history.append(HistoryEntry(event_type, self.status, at, position.event_id, agent_id))
        if recorded is None:
            self._changed(now)
        else:
            self._record(recorded, now)

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

    # The lifecycle, the conversation and the procedure (SOP).

    def change_status(
        self, status: TicketStatus, *, actor: str, reason: str | None, now: datetime
    ) -> None:
        """Move to `status`: IllegalTransition (409) unless the lifecycle allows it, UndoneSteps
        (422) for a solve with required steps of the procedure not done. Records the status
        change (a solve also records ticket.resolved for its older subscribers)."""
        lifecycle.check_transition(self.id, self.status, status)
        lifecycle.check_room(self.id, sum(entry.actor is not None for entry in self.history))
        if status is TicketStatus.solved:
            procedure.require_done(self.id, self.procedure)
            self._require_solve_fields()
        self._transition(status, actor=actor, reason=reason, now=now)

    def add_message(
        self,
        *,
        body: str,
        visibility: Visibility,
        author: str,
        author_kind: AuthorKind,
        author_name: str | None,
        now: datetime,
        agent_id: str | None = None,
        in_reply_to: str | None = None,
        channel: str | None = None,
        source_ref: str | None = None,
        attachments: tuple[AttachmentRef, ...] = (),
        joined: str | None = None,
        external_refs: dict[str, str] | None = None,
    ) -> Message:
        """Add a message to the thread. The customer's moves a pending ticket to open and
        reopens a solved one; a closed ticket takes none (TicketClosed: the handler starts a
        follow-up instead). The first public reply of an agent is the first response. A
        `source_ref` already in the thread is a channel's redelivery: that message, unchanged.
        `external_refs` (a CRM's case the message brought) also name the ticket for a system
        that names it by nothing yet."""
        delivered = messages.with_source(self.messages, source_ref)
        if delivered is not None:
            return delivered
        if self.status is TicketStatus.closed:
            raise TicketClosed(self.id)
        messages.check_room(self.id, self.messages)
        messages.check_reply_target(self.messages, in_reply_to)
        message = Message(
            messages.new_message_id(),
            author,
            author_kind,
            author_name,
            visibility,
            body,
            now,
            in_reply_to,
            agent_id,
            channel,
            source_ref,
            attachments,
            dict(external_refs or {}),
        )
        for system, case in message.external_refs.items():
            self.external_refs.setdefault(system, case)
        # A copy from a merged ticket answered the customer there, not here.
        first = message.is_public_reply and self.first_response_at is None and joined != MERGE
        if first:
            self.first_response_at = now
        self.messages.append(message)
        self._record(self._message_added(message, first, joined), now)
        woken = author_kind is AuthorKind.customer and joined != MERGE
        if woken and self.status in _WOKEN_BY_CUSTOMER:
            self._transition(TicketStatus.open, actor=author, reason="customer replied", now=now)
        return message

    def tick_step(self, key: str, *, actor: str, now: datetime) -> bool:
        """Mark a procedure step done (UnknownStep for a key the procedure lacks)."""
        changed = procedure.tick(self.id, self.procedure, key, actor, now)
        if changed:
            self._changed(now)
        return changed

    def untick_step(self, key: str, now: datetime) -> bool:
        changed = procedure.untick(self.id, self.procedure, key)
        if changed:
            self._changed(now)
        return changed

    def close_if_solved_by(self, cutoff: datetime, now: datetime) -> bool:
        """Close a ticket solved at or before `cutoff` (the automatic close); False otherwise."""
        solved_at = self.resolved_at
        if self.status is not TicketStatus.solved or solved_at is None or solved_at > cutoff:
            return False
        self._transition(TicketStatus.closed, actor=SYSTEM, reason="auto-close", now=now)
        return True

    def link_follow_up(self, ticket_id: str, now: datetime) -> bool:
        """Note the ticket the customer's message after the close started."""
        if ticket_id in self.follow_ups:
            return False
        self.follow_ups.append(ticket_id)
        self._changed(now)
        return True

    # Merge and split (merge_handlers.py copies the thread and keeps the links).

    def close_as_merged(self, into: str, *, actor: str, now: datetime) -> bool:
        """Close the ticket, whatever its status, as merged into `into`; False if closed."""
        if self.status is TicketStatus.closed:
            return False
        self._transition(TicketStatus.closed, actor=actor, reason=f"merged into {into}", now=now)
        self.history.append(HistoryEntry(TicketMergedV1.event_type, self.status, now, note=into))
        self._record(TicketMergedV1(ticket_id=self.id, into=into, actor=actor, merged_at=now), now)
        return True

    def note_split(self, message_id: str, new_ticket_id: str, *, actor: str, now: datetime) -> bool:
        """Note that `message_id` went out into `new_ticket_id`; False if noted before."""
        note = f"{message_id} -> {new_ticket_id}"
        split = TicketSplitV1.event_type
        if any(e.event_type == split and e.note == note for e in self.history):
            return False
        self.history.append(HistoryEntry(split, self.status, now, note=note, actor=actor))
        event = TicketSplitV1(
            ticket_id=self.id,
            message_id=message_id,
            new_ticket_id=new_ticket_id,
            actor=actor,
            split_at=now,
        )
        self._record(event, now)
        return True

    def _transition(
        self,
        status: TicketStatus,
        *,
        actor: str,
        reason: str | None,
        now: datetime,
        self_service_article: str | None = None,
    ) -> None:
        previous = self.status
        reopened = lifecycle.is_reopen(previous, status)
        self.status = status
        agent_id = self.assignee.agent_id if self.assignee else None
        if status is TicketStatus.solved:
            self.resolution, self.resolved_at = reason, now
        elif reopened:
            self.reopen_count += 1
            self.resolved_at = None
        if status is TicketStatus.closed:
            self.closed_at = now
        kind = TicketResolvedV1 if status is TicketStatus.solved else TicketStatusChangedV1
        self.history.append(
            HistoryEntry(kind.event_type, status, now, agent_id=agent_id, note=reason, actor=actor)
        )
        self._record(self._status_changed(previous, actor, reason, now, reopened), now)
        if status is TicketStatus.solved:
            resolved = TicketResolvedV1(
                ticket_id=self.id,
                agent_id=agent_id,
                resolution=reason,
                resolved_at=now,
                self_service_article=self_service_article,
            )
            self._record(resolved, now)

    def _status_changed(
        self,
        previous: TicketStatus,
        actor: str,
        reason: str | None,
        now: datetime,
        reopened: bool = False,
    ) -> TicketStatusChangedV1:
        return TicketStatusChangedV1(
            ticket_id=self.id,
            status=self.status,
            previous=previous,
            actor=actor,
            reason=reason,
            agent_id=self.assignee.agent_id if self.assignee else None,
            department=self.department,
            reopened=reopened,
            changed_at=now,
        )

    def _message_added(
        self, message: Message, first: bool, joined: str | None = None
    ) -> TicketMessageAddedV1:
        return TicketMessageAddedV1(
            ticket_id=self.id,
            message_id=message.id,
            author=message.author,
            author_kind=message.author_kind,
            author_name=message.author_name,
            visibility=message.visibility,
            body=message.body,
            department=self.department,
            agent_id=message.agent_id,
            in_reply_to=message.in_reply_to,
            first_response=first,
            added_at=message.at,
            channel=message.channel,
            joined=joined,
        )


_WOKEN_BY_CUSTOMER = frozenset({TicketStatus.pending, TicketStatus.solved})
