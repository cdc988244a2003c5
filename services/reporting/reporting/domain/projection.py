"""Each ticket event translated into its change to the ticket row."""

from enum import Enum
from typing import Any

from pydantic import BaseModel

from reporting.domain import routing_members
from reporting.domain.changes import APPLIED_FACTS, TicketChange
from reporting.domain.history import Consult, Message, PriorityChange, Transfer, Transition
from reporting.domain.tickets import Assignment, as_utc, stored_time
from ticketflow_shared.events import (
    Envelope,
    NotificationSentV1,
    Payload,
    SlaBreachedV1,
    SlaWarningV1,
    TicketAssignedV1,
    TicketConsultedV1,
    TicketCreatedV1,
    TicketEscalatedV1,
    TicketMergedV1,
    TicketMessageAddedV1,
    TicketOfferedV1,
    TicketOfferEndedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketSplitV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)

TICKET_EVENTS: tuple[type[Payload], ...] = (
    TicketCreatedV1,
    TicketQueuedV1,
    TicketAssignedV1,
    TicketResolvedV1,
    TicketStatusChangedV1,
    TicketMessageAddedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
    TicketConsultedV1,
    NotificationSentV1,
    TicketOfferedV1,
    TicketOfferEndedV1,
    TicketEscalatedV1,
    SlaWarningV1,
    SlaBreachedV1,
    TicketMergedV1,
    TicketSplitV1,
)
PAGE_PREFIX = "page."  # notify's pages to supervisors: internal mail, not a customer notice
DONE = (TicketStatus.solved, TicketStatus.closed)


def ticket_change(envelope: Envelope, payload: Payload) -> TicketChange:
    """Translate one ticket or notification event into its read-model change."""
    ordered = {
        "ticket_id": getattr(payload, "ticket_id", envelope.subject),
        "producer": envelope.producer,
        "sequence": envelope.sequence,
        "latest": {"last_event_at": as_utc(envelope.time)},
    }
    match payload:
        case TicketCreatedV1():
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.new.value, "since": as_utc(payload.created_at)},
                facts={
                    "category": payload.category,
                    "channel": payload.channel.value,
                    "priority": payload.priority.value,
                    "owner_department": payload.department,
                    "created_by": payload.created_by,
                },
                earliest={"created_at": as_utc(payload.created_at)},
            )
        case TicketQueuedV1():
            queued_at = as_utc(payload.queued_at)
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.queued.value, "assignment": None, "since": queued_at},
                earliest={"queued_at": queued_at},
            )
        case TicketAssignedV1():
            assignment = Assignment(
                agent_id=payload.agent_id,
                agent_name=payload.agent_name,
                department=payload.department,
                skill=payload.skill,
                assigned_at=as_utc(payload.assigned_at),
            ).model_dump()
            return TicketChange(
                **ordered,
                state={
                    "status": TicketStatus.open.value,
                    "assignment": assignment,
                    "since": assignment["assigned_at"],
                },
                earliest={"assigned_at": assignment["assigned_at"]},
                members={"assignments": assignment},
            )
        case TicketResolvedV1():
            resolved_at = as_utc(payload.resolved_at)
            return TicketChange(
                **{**ordered, "latest": {**ordered["latest"], "last_solved_at": resolved_at}},
                state={
                    "status": TicketStatus.solved.value,
                    "resolved_by": payload.agent_id,
                    "since": resolved_at,
                },
                earliest={
                    "resolved_at": resolved_at,
                    **({"self_served_at": resolved_at} if payload.self_service_article else {}),
                },
            )
        case TicketStatusChangedV1():
            return _status_changed(ordered, payload)
        case NotificationSentV1() if payload.template.startswith(PAGE_PREFIX):
            return TicketChange(
                **{**ordered, "sequence": None}, once=payload.notification_id, counts={"pages": 1}
            )
        case NotificationSentV1():
            # Notify's events are about its deliveries, not in a ticket's order: each is
            # counted once by its id.
            return TicketChange(
                **{**ordered, "sequence": None},
                once=payload.notification_id,
                counts={"notifications": 1},
                earliest={"first_notified_at": as_utc(payload.sent_at)},
            )
        case TicketMergedV1():
            # Its closing comes as a status change; the row keeps where the thread went.
            return TicketChange(**ordered, facts={"merged_into": payload.into})
        case TicketSplitV1():
            # The new ticket reports itself from its own ticket.created.v1.
            return TicketChange(**ordered)
        case TicketMessageAddedV1(joined="merge"):
            # A copy from a merged ticket: counted once, on the ticket it was written on.
            return TicketChange(**ordered)
        case TicketMessageAddedV1():
            message = Message(
                sequence=envelope.sequence,
                at=stored_time(payload.added_at),
                message_id=payload.message_id,
                author_kind=payload.author_kind,
                visibility=payload.visibility,
                agent_id=payload.agent_id,
                department=payload.department,
            )
            return _fact(envelope, ordered, messages=message)
        case TicketTransferredV1():
            at = stored_time(payload.transferred_at)
            transfer = Transfer(
                sequence=envelope.sequence,
                at=at,
                from_department=payload.from_department,
                to_department=payload.to_department,
                from_agent_id=payload.from_agent_id,
            )
            priority = PriorityChange(
                sequence=envelope.sequence, at=at, priority=payload.priority.value
            )
            return _fact(envelope, ordered, transfers=transfer, priorities=priority)
        case TicketUpdatedV1():
            priority = PriorityChange(
                sequence=envelope.sequence,
                at=stored_time(payload.updated_at),
                priority=payload.priority.value,
            )
            return _fact(envelope, ordered, priorities=priority)
        case TicketConsultedV1():
            consult = Consult(
                sequence=envelope.sequence,
                at=stored_time(payload.at),
                consult_id=payload.consult_id,
                department=payload.department,
                status=payload.status,
            )
            return _fact(envelope, ordered, consults=consult)
        case TicketOfferedV1():
            return _routing_fact(envelope, ordered, offers=routing_members.offer(payload))
        case TicketOfferEndedV1():
            return _routing_fact(envelope, ordered, offer_ends=routing_members.offer_end(payload))
        case TicketEscalatedV1():
            return _routing_fact(envelope, ordered, escalations=routing_members.escalation(payload))
        case SlaWarningV1() | SlaBreachedV1():
            return _routing_fact(envelope, ordered, sla_marks=routing_members.sla_mark(payload))
    raise TypeError(f"reporting keeps no ticket row for {payload.event_type}")


def _routing_fact(
    envelope: Envelope, ordered: dict[str, Any], **members: BaseModel
) -> TicketChange:
    """An offer, escalation or SLA fact, taken once by its event id: routing numbers these
    events by clocks and offers of its own, so their sequences name no single history."""
    return TicketChange(
        **{**ordered, "sequence": None},
        once=envelope.id,
        once_in=APPLIED_FACTS,
        members={name: _stored(member) for name, member in members.items()},
    )


def _status_changed(ordered: dict[str, Any], payload: TicketStatusChangedV1) -> TicketChange:
    changed_at = as_utc(payload.changed_at)
    transition = Transition(
        sequence=ordered["sequence"],
        at=stored_time(changed_at),
        status=payload.status,
        previous=payload.previous,
        reopened=payload.reopened,
        agent_id=payload.agent_id,
        department=payload.department,
    )
    earliest, latest = {}, dict(ordered["latest"])
    if payload.status is TicketStatus.solved:
        earliest["resolved_at"] = changed_at
        latest["last_solved_at"] = changed_at
    if payload.status is TicketStatus.closed:
        earliest["closed_at"] = changed_at
    state = {"status": payload.status.value, "since": changed_at}
    if payload.status in DONE:
        state["resolved_by"] = payload.agent_id
    return TicketChange(
        **{**ordered, "latest": latest},
        state=state,
        earliest=earliest,
        members={"transitions": _stored(transition)},
    )


def _fact(envelope: Envelope, ordered: dict[str, Any], **members: BaseModel) -> TicketChange:
    """A change that says nothing about where the ticket stands: its facts, taken once by the
    event's place in its producer's history (or its id, for an event without one)."""
    key = envelope.id if envelope.sequence is None else f"{envelope.producer}:{envelope.sequence}"
    return TicketChange(
        **{**ordered, "sequence": None},
        once=key,
        once_in=APPLIED_FACTS,
        members={name: _stored(member) for name, member in members.items()},
    )


def _stored(member: BaseModel) -> dict[str, Any]:
    """A member as the store keeps it: plain strings for enums."""
    return {
        name: value.value if isinstance(value, Enum) else value
        for name, value in member.model_dump().items()
    }
