"""Realistic events for reporting's integration tests, and waiting on its read model.

Sequences follow one ordinary ticket: intake creates it (1), routing queues (1) and assigns
it (2), intake applies both (2, 3) and resolves it (4).
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from factories import created_envelope
from ticketflow_shared.events import (
    AgentUpdatedV1,
    Channel,
    Envelope,
    NotificationSentV1,
    Presence,
    Priority,
    TicketAssignedV1,
    TicketQueuedV1,
    TicketResolvedV1,
)

# The store keeps milliseconds, so test times stay on whole milliseconds.
CREATED_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
TIME_TO_ASSIGN = 83.25


def created(ticket_id: str, *, category: str = "billing") -> Envelope:
    return created_envelope(
        ticket_id,
        sequence=1,
        channel=Channel.email,
        email="ana@example.com",
        name="Ana",
        category=category,
        priority=Priority.high,
        created_at=CREATED_AT,
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


def resolved(ticket_id: str) -> Envelope:
    payload = TicketResolvedV1(
        ticket_id=ticket_id, agent_id="agent-ada", resolved_at=CREATED_AT + timedelta(minutes=30)
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
