"""The one builder of ticket.created events the tests use: every field has a plain default,
a test names what matters to it."""

from datetime import UTC, datetime, timedelta

from ticketflow_shared.events import (
    Channel,
    Customer,
    Envelope,
    EscalationTrigger,
    OfferOutcome,
    Priority,
    SlaBreachedV1,
    SlaTarget,
    SlaWarningV1,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketEscalatedV1,
    TicketOfferedV1,
    TicketOfferEndedV1,
)

INTAKE = "/ticketflow/intake"


def ticket_created(
    ticket_id: str,
    *,
    created_at: datetime,
    email: str | None = "jane@example.com",
    name: str | None = "Jane Doe",
    category: str = "billing",
    priority: Priority = Priority.normal,
    channel: Channel = Channel.web,
    subject: str = "Charged twice",
    body: str = "My card was charged twice.",
    **extra: object,
) -> TicketCreatedV1:
    return TicketCreatedV1(
        ticket_id=ticket_id,
        channel=channel,
        customer=Customer(email=email, name=name),
        subject=subject,
        body=body,
        category=category,
        priority=priority,
        created_at=created_at,
        **extra,
    )


def created_envelope(ticket_id: str, *, sequence: int | None = None, **fields: object) -> Envelope:
    """`ticket_created(ticket_id, **fields)` as intake publishes it."""
    payload = ticket_created(ticket_id, **fields)
    return Envelope.wrap(payload, source=INTAKE, subject=ticket_id, sequence=sequence)


ROUTING = "/ticketflow/routing"


def assigned_envelope(
    ticket_id: str,
    agent_id: str,
    *,
    sequence: int,
    agent_name: str = "Grace",
    department: str = "billing",
    skill_level: int = 4,
) -> Envelope:
    """Routing's ticket.assigned for a billing skill, as routing publishes it, now."""
    event = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        agent_name=agent_name,
        department=department,
        skill="billing",
        skill_level=skill_level,
        assigned_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)


# --- Routing's offers, escalations and SLA clocks, as routing publishes them ---------------


def escalated_envelope(
    ticket_id: str,
    *,
    at: datetime,
    trigger: str = "wait",
    department: str | None = "billing",
    page_supervisor: bool = False,
    source: str = "routing",
    sequence: int | None = None,
    **extra: object,
) -> Envelope:
    event = TicketEscalatedV1(
        ticket_id=ticket_id,
        source=source,
        trigger=EscalationTrigger(trigger),
        reason=extra.pop("reason", f"{trigger} escalation"),
        page_supervisor=page_supervisor,
        department=department,
        escalated_at=at,
        **extra,
    )
    return Envelope.wrap(
        event, source=f"/ticketflow/{source}", subject=ticket_id, sequence=sequence
    )


def sla_envelope(
    ticket_id: str,
    *,
    at: datetime,
    breached: bool = True,
    target: str = "first_response",
    cycle: int = 0,
    department: str | None = "billing",
    priority: Priority = Priority.normal,
    sequence: int | None = None,
    **extra: object,
) -> Envelope:
    """sla.breached.v1 (or, with `breached=False`, sla.warning.v1 at 75 %)."""
    fields = {
        "ticket_id": ticket_id,
        "target": SlaTarget(target),
        "cycle": cycle,
        "policy": "standard",
        "policy_version": 1,
        "priority": priority,
        "department": department,
        "target_seconds": 3600.0,
        "due_at": at,
        "at": at,
        **extra,
    }
    event = SlaBreachedV1(**fields) if breached else SlaWarningV1(**fields, share=0.75)
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)


def offered_envelope(
    ticket_id: str,
    offer_id: str,
    agent_id: str,
    *,
    at: datetime,
    department: str | None = "billing",
    sequence: int | None = None,
) -> Envelope:
    event = TicketOfferedV1(
        ticket_id=ticket_id,
        offer_id=offer_id,
        agent_id=agent_id,
        department=department,
        offered_at=at,
        expires_at=at + timedelta(seconds=60),
    )
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)


def offer_ended_envelope(
    ticket_id: str,
    offer_id: str,
    agent_id: str,
    outcome: str,
    *,
    at: datetime,
    sequence: int | None = None,
) -> Envelope:
    event = TicketOfferEndedV1(
        ticket_id=ticket_id,
        offer_id=offer_id,
        agent_id=agent_id,
        outcome=OfferOutcome(outcome),
        ended_at=at,
    )
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)
