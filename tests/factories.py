"""The one builder of ticket.created events the tests use: every field has a plain default,
a test names what matters to it."""

from datetime import UTC, datetime

from ticketflow_shared.events import (
    Channel,
    Customer,
    Envelope,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
)

INTAKE = "/ticketflow/intake"


def ticket_created(
    ticket_id: str,
    *,
    created_at: datetime,
    email: str = "jane@example.com",
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
