"""Realistic events for reporting's unit tests, each wrapped as its producer would wrap it.

Default sequences follow one ordinary ticket: intake creates it (1), routing queues (1) and
assigns it (2), intake applies both (2, 3) and resolves it (4). The agent's-desk events take
intake's sequence as an argument: each test tells its own story.
"""

from datetime import UTC, datetime, timedelta

from factories import ticket_created
from reporting.domain.changes import apply_change
from reporting.domain.projection import ticket_change
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import (
    AgentUpdatedV1,
    AuthorKind,
    Channel,
    Envelope,
    NotificationSentV1,
    Payload,
    Presence,
    Priority,
    TicketAssignedV1,
    TicketConsultedV1,
    TicketMessageAddedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
    Visibility,
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
    department: str | None = None,
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
        department=department,
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
    self_service_article: str | None = None,
) -> Envelope:
    payload = TicketResolvedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        resolved_at=when,
        self_service_article=self_service_article,
    )
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


def status_changed(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    sequence: int,
    status: TicketStatus,
    previous: TicketStatus,
    reopened: bool = False,
    agent_id: str | None = "A-1",
    department: str | None = "finance",
) -> Envelope:
    payload = TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=status,
        previous=previous,
        actor=f"user:{agent_id}" if agent_id else "system",
        agent_id=agent_id,
        department=department,
        reopened=reopened,
        changed_at=when,
    )
    return wrap(payload, "intake", ticket_id, sequence)


def message(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    sequence: int,
    kind: AuthorKind = AuthorKind.agent,
    visibility: Visibility = Visibility.public,
    agent_id: str | None = "A-1",
    department: str | None = "finance",
) -> Envelope:
    from_agent = kind is AuthorKind.agent
    payload = TicketMessageAddedV1(
        ticket_id=ticket_id,
        message_id=f"M-{ticket_id}-{sequence:024x}",
        author=f"user:{agent_id}" if from_agent else "key:crm",
        author_kind=kind,
        visibility=visibility,
        body="Thanks, looking into it.",
        department=department if from_agent else None,
        agent_id=agent_id if from_agent else None,
        added_at=when,
    )
    return wrap(payload, "intake", ticket_id, sequence)


def transferred(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    sequence: int,
    to: str,
    source: str | None = "finance",
    priority: Priority = Priority.normal,
) -> Envelope:
    payload = TicketTransferredV1(
        ticket_id=ticket_id,
        from_department=source,
        to_department=to,
        from_agent_id="A-1",
        note="Needs a refund approval.",
        priority=priority,
        category="billing",
        actor="user:A-1",
        transferred_at=when,
    )
    return wrap(payload, "intake", ticket_id, sequence)


def updated(
    ticket_id: str = "T-1", *, when: datetime, sequence: int, priority: Priority
) -> Envelope:
    payload = TicketUpdatedV1(
        ticket_id=ticket_id, priority=priority, actor="user:A-1", updated_at=when
    )
    return wrap(payload, "intake", ticket_id, sequence)


def consulted(
    ticket_id: str = "T-1",
    *,
    when: datetime,
    sequence: int,
    consult_id: str = "C-1",
    answered: bool = False,
) -> Envelope:
    payload = TicketConsultedV1(
        ticket_id=ticket_id,
        consult_id=consult_id,
        department="legal",
        status="answered" if answered else "open",
        question="May we refund twice?",
        answer="Yes." if answered else None,
        actor="user:A-1",
        at=when,
    )
    return wrap(payload, "intake", ticket_id, sequence)


def fold(*envelopes: Envelope) -> TicketRow:
    """The ticket row these events build, applied in the order given."""
    state = None
    for envelope in envelopes:
        state, _ = apply_change(state, ticket_change(envelope, envelope.payload()))
    assert state is not None
    return TicketRow.model_validate(state)


# The statuses by short name, as the desk tests write their stories.
NEW, OPEN, PENDING, ON_HOLD = (
    TicketStatus.new,
    TicketStatus.open,
    TicketStatus.pending,
    TicketStatus.on_hold,
)
SOLVED, CLOSED = TicketStatus.solved, TicketStatus.closed
