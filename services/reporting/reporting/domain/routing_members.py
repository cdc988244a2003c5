"""Routing's offer, escalation and SLA events as the ticket row's members."""

from reporting.domain.routing_facts import (
    BREACHED,
    WARNING,
    Escalation,
    Offer,
    OfferEnd,
    SlaMark,
)
from reporting.domain.tickets import stored_time
from ticketflow_shared.events import (
    SlaBreachedV1,
    SlaWarningV1,
    TicketEscalatedV1,
    TicketOfferedV1,
    TicketOfferEndedV1,
)


def offer(event: TicketOfferedV1) -> Offer:
    return Offer(
        at=stored_time(event.offered_at),
        offer_id=event.offer_id,
        agent_id=event.agent_id,
        department=event.department,
    )


def offer_end(event: TicketOfferEndedV1) -> OfferEnd:
    return OfferEnd(
        at=stored_time(event.ended_at),
        offer_id=event.offer_id,
        agent_id=event.agent_id,
        outcome=event.outcome.value,
    )


def escalation(event: TicketEscalatedV1) -> Escalation:
    return Escalation(
        at=stored_time(event.escalated_at),
        trigger=event.trigger.value,
        reason=event.reason,
        source=event.source,
        department=event.department,
        priority=event.priority.value if event.priority else None,
        page_supervisor=event.page_supervisor,
        overflow_to=event.overflow_to,
    )


def sla_mark(event: SlaWarningV1 | SlaBreachedV1) -> SlaMark:
    return SlaMark(
        at=stored_time(event.at),
        kind=BREACHED if isinstance(event, SlaBreachedV1) else WARNING,
        target=event.target.value,
        cycle=event.cycle,
        policy=event.policy,
        priority=event.priority.value,
        department=event.department,
        due_at=stored_time(event.due_at),
    )
