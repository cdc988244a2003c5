"""Realistic events for reporting's integration tests, and waiting on its read model.

Sequences follow one ordinary ticket: intake creates it (1), routing queues (1) and assigns
it (2), intake applies both (2, 3) and resolves it (4). `desk_story` is a ticket of the
agent's desk, with intake's sequences 1-14.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from factories import created_envelope
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

# The store keeps milliseconds, so test times stay on whole milliseconds.
CREATED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
TIME_TO_ASSIGN = 83.25


def created(
    ticket_id: str, *, category: str = "billing", department: str | None = None
) -> Envelope:
    return created_envelope(
        ticket_id,
        sequence=1,
        channel=Channel.email,
        email="ana@example.com",
        name="Ana",
        category=category,
        priority=Priority.high,
        created_at=CREATED_AT,
        department=department,
    )


def assigned(
    ticket_id: str, *, department: str = "finance", agent_id: str = "agent-ada", sequence: int = 2
) -> Envelope:
    payload = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        agent_name="Ada Lovelace",
        department=department,
        skill="billing",
        skill_level=4,
        assigned_at=CREATED_AT + timedelta(seconds=TIME_TO_ASSIGN),
    )
    return Envelope.wrap(
        payload, source="/ticketflow/routing", subject=ticket_id, sequence=sequence
    )


def notified(ticket_id: str, cause: Envelope) -> Envelope:
    payload = NotificationSentV1(
        notification_id=f"{ticket_id}-received",
        ticket_id=ticket_id,
        cause_event_id=cause.id,
        cause_event_type=cause.type,
        recipient="ana@example.com",
        template="ticket-received",
        sent_at=CREATED_AT + timedelta(seconds=4),
    )
    return Envelope.wrap(payload, source="/ticketflow/notify", subject=ticket_id)


def queued(
    ticket_id: str, *, sequence: int = 1, after: timedelta = timedelta(seconds=1)
) -> Envelope:
    payload = TicketQueuedV1(
        ticket_id=ticket_id,
        required_skill="billing",
        priority=Priority.high,
        queued_at=CREATED_AT + after,
    )
    return Envelope.wrap(
        payload, source="/ticketflow/routing", subject=ticket_id, sequence=sequence
    )


def resolved(ticket_id: str, self_service_article: str | None = None) -> Envelope:
    """Solved at 30 min: by agent Ada, or by the customer from a suggested article."""
    payload = TicketResolvedV1(
        ticket_id=ticket_id,
        agent_id=None if self_service_article else "agent-ada",
        resolved_at=CREATED_AT + timedelta(minutes=30),
        self_service_article=self_service_article,
    )
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id, sequence=4)


def agent_updated(*, presence: Presence, updated_at: datetime) -> Envelope:
    payload = AgentUpdatedV1(
        agent_id="agent-ada",
        name="Ada Lovelace",
        department="finance",
        skills={"billing": 4},
        capacity=5,
        presence=presence,
        active_tickets=1,
        updated_at=updated_at,
    )
    return Envelope.wrap(payload, source="/ticketflow/routing", subject="agent-ada")


def _intake(payload: Payload, ticket_id: str, sequence: int) -> Envelope:
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id, sequence=sequence)


def _after(seconds: float) -> datetime:
    return CREATED_AT + timedelta(seconds=seconds)


def status_changed(
    ticket_id: str,
    sequence: int,
    seconds: float,
    status: TicketStatus,
    previous: TicketStatus,
    *,
    reopened: bool = False,
    department: str = "finance",
) -> Envelope:
    payload = TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=status,
        previous=previous,
        actor="user:agent-ada",
        reason=None,
        agent_id="agent-ada",
        department=department,
        reopened=reopened,
        changed_at=_after(seconds),
    )
    return _intake(payload, ticket_id, sequence)


def message(
    ticket_id: str,
    sequence: int,
    seconds: float,
    kind: AuthorKind,
    visibility: Visibility = Visibility.public,
) -> Envelope:
    from_agent = kind is AuthorKind.agent
    payload = TicketMessageAddedV1(
        ticket_id=ticket_id,
        message_id=f"M-{sequence:024x}",
        author="user:agent-ada" if from_agent else "key:crm",
        author_kind=kind,
        author_name="Ada Lovelace" if from_agent else None,
        visibility=visibility,
        body="We are on it.",
        department="finance" if from_agent else None,
        agent_id="agent-ada" if from_agent else None,
        first_response=from_agent and visibility is Visibility.public and sequence == 3,
        added_at=_after(seconds),
    )
    return _intake(payload, ticket_id, sequence)


def consulted(ticket_id: str, sequence: int, seconds: float, *, answered: bool = False) -> Envelope:
    payload = TicketConsultedV1(
        ticket_id=ticket_id,
        consult_id="C-1",
        department="legal",
        status="answered" if answered else "open",
        question="Refund twice?",
        answer="Yes." if answered else None,
        actor="user:agent-ada",
        at=_after(seconds),
    )
    return _intake(payload, ticket_id, sequence)


def desk_story(ticket_id: str) -> list[Envelope]:
    """Answered at 120 s, pending from 200 s to 900 s, an internal note, urgent from 950 s,
    a consult asked and answered, handed to support at 1000 s, solved at 1800 s, reopened by
    the customer at 2400 s."""
    open_, pending, solved = TicketStatus.open, TicketStatus.pending, TicketStatus.solved
    transfer = TicketTransferredV1(
        ticket_id=ticket_id,
        from_department="finance",
        to_department="support",
        skill=None,
        from_agent_id="agent-ada",
        note="Refund needs support's tool.",
        checklist=["order-checked"],
        priority=Priority.urgent,
        category="billing",
        actor="user:agent-ada",
        transferred_at=_after(1000),
    )
    update = TicketUpdatedV1(
        ticket_id=ticket_id,
        priority=Priority.urgent,
        actor="user:agent-ada",
        updated_at=_after(950),
    )
    return [
        created(ticket_id, department="finance"),
        assigned(ticket_id, sequence=1),
        status_changed(ticket_id, 2, TIME_TO_ASSIGN, open_, TicketStatus.new),
        message(ticket_id, 3, 120, AuthorKind.agent),
        status_changed(ticket_id, 4, 200, pending, open_),
        message(ticket_id, 5, 900, AuthorKind.customer),
        status_changed(ticket_id, 6, 900, open_, pending),
        message(ticket_id, 7, 940, AuthorKind.agent, Visibility.internal),
        _intake(update, ticket_id, 8),
        consulted(ticket_id, 9, 960),
        consulted(ticket_id, 10, 980, answered=True),
        _intake(transfer, ticket_id, 11),
        status_changed(ticket_id, 12, 1800, solved, open_, department="support"),
        message(ticket_id, 13, 2400, AuthorKind.customer),
        status_changed(ticket_id, 14, 2400, open_, solved, reopened=True, department="support"),
    ]


async def ticket_when(
    client: httpx.AsyncClient, ticket_id: str, ready: Callable[[dict], bool], timeout: float = 15
) -> dict:
    """Poll the read-model row until `ready` holds; fail with the last answer otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(f"/reports/tickets/{ticket_id}")
        if response.status_code == 200 and ready(response.json()):
            return response.json()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{ticket_id} never got ready: {response.status_code} {response.text}"
            )
        await asyncio.sleep(0.05)


def events_applied(count: int) -> Callable[[dict], bool]:
    """At least `count` events moved the row on (late and repeated ones do not count)."""
    return lambda row: row["events_applied"] >= count


def copy_of(envelope: Envelope) -> Envelope:
    """The same event under a fresh id, as a producer that wrote it twice would send it: the
    inbox cannot tell, only the sequence can."""
    return envelope.model_copy(update={"id": f"{envelope.id}-copy"})


async def summary_of(client: httpx.AsyncClient, **params: str) -> dict:
    response = await client.get("/reports/summary", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    body.pop("generated_at")
    return body
