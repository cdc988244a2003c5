"""Realistic events for reporting's unit tests, each wrapped as its producer would wrap it.

Default sequences follow one ordinary ticket: intake creates it (1), routing queues (1) and
assigns it (2), intake applies both (2, 3) and resolves it (4).
"""

from datetime import UTC, datetime, timedelta

from factories import ticket_created
from reporting.domain.tickets import TicketRow, apply_change, ticket_change
from ticketflow_shared.events import (
    AgentUpdatedV1,
    Channel,
    Envelope,
    NotificationSentV1,
    Payload,
    Presence,
    Priority,
    TicketAssignedV1,
    TicketQueuedV1,
    TicketResolvedV1,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def wrap(payload: Payload, source: str, subject: str, sequence: int | None = None) -> Envelope:
    return Envelope.wrap(
        payload, source=f"/ticketflow/{source}", subject=subject, sequence=sequence
    )


def created(
    ticket_id: str = "T-1",
    *,
    when: datetime = T0,
    category: str = "billing",
    priority: Priority = Priority.normal,
    channel: Channel = Channel.web,
    sequence: int | None = 1,
) -> Envelope:
    payload = ticket_created(
        ticket_id,
        channel=channel,
        email="ana@example.com",
        name="Ana",
        subject="Invoice is wrong",
        category=category,
        priority=priority,
        created_at=when,
    )
    return wrap(payload, "intake", ticket_id, sequence)


def queued(ticket_id: str = "T-1", *, when: datetime, sequence: int | None = 1) -> Envelope:
    payload = TicketQueuedV1(
        ticket_id=ticket_id, required_skill="billing", priority=Priority.normal, queued_at=when
    )
    return wrap(payload, "routing", ticket_id, sequence)


def assigned(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    agent_id: str = "A-1",
    agent_name: str = "Ada",
    department: str = "finance",
    sequence: int | None = 2,
) -> Envelope:
    payload = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        agent_name=agent_name,
        department=department,
        skill="billing",
        skill_level=3,
        assigned_at=when,
    )
    return wrap(payload, "routing", ticket_id, sequence)


def resolved(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    agent_id: str | None = None,
    sequence: int | None = 4,
) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, agent_id=agent_id, resolved_at=when)
    return wrap(payload, "intake", ticket_id, sequence)


def notified(ticket_id: str = "T-1", *, when: datetime) -> Envelope:
    payload = NotificationSentV1(
        notification_id=f"N-{ticket_id}-{when.timestamp():.0f}",
        ticket_id=ticket_id,
        cause_event_id="cause",
        cause_event_type="ticket.created.v1",
        recipient="ana@example.com",
        template="ticket-received",
        sent_at=when,
    )
    return wrap(payload, "notify", ticket_id)


def agent_updated(
    agent_id: str = "A-1",
    *,
    when: datetime = T0,
    name: str = "Ada",
    department: str = "finance",
    presence: Presence = Presence.available,
    capacity: int = 3,
    active_tickets: int = 0,
    version: int | None = None,
) -> Envelope:
    payload = AgentUpdatedV1(
        agent_id=agent_id,
        name=name,
        department=department,
        skills={"billing": 3},
        capacity=capacity,
        presence=presence,
        active_tickets=active_tickets,
        updated_at=when,
    )
    return wrap(payload, "routing", agent_id, version)


def fold(*envelopes: Envelope) -> TicketRow:
    """The ticket row these events build, applied in the order given."""
    state = None
    for envelope in envelopes:
        state, _ = apply_change(state, ticket_change(envelope, envelope.payload()))
    assert state is not None
    return TicketRow.model_validate(state)
