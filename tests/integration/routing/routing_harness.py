"""What the routing integration tests share: the app, event builders, and settle checks."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aio_pika
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from factories import created_envelope
from routing import assigning, views
from routing.bootstrap import create_app
from routing.domain import RoutingTicket, SkillRequirement
from routing.ports import ClaimResult
from routing.settings import RoutingSettings
from support import BusProbe, Namespace
from ticketflow_shared.events import (
    Envelope,
    NotificationSentV1,
    Priority,
    TicketResolvedV1,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ASSIGNED, QUEUED, AGENT_UPDATED = "ticket.assigned.v1", "ticket.queued.v1", "agent.updated.v1"
T = TypeVar("T")


def routing_app(namespace: Namespace, **settings: object) -> FastAPI:
    """A routing app on the namespace's exchange, queue and database, sweeping often."""
    overrides = {"sweep_seconds": 0.3, **settings}
    return create_app(namespace.settings(RoutingSettings, "routing", **overrides))


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def created(
    ticket_id: str,
    category: str = "billing",
    priority: Priority = Priority.normal,
    age_minutes: int = 0,
) -> Envelope:
    return created_envelope(
        ticket_id,
        category=category,
        priority=priority,
        created_at=T0 - timedelta(minutes=age_minutes),
    )


def created_in(department: str, ticket_id: str, minutes: int = 0) -> Envelope:
    """A ticket.created of `department`'s, as intake publishes it (its version 1)."""
    return created_envelope(
        ticket_id, created_at=T0.replace(minute=minutes), department=department, sequence=1
    )


async def publish_all(namespace: Namespace, probe: BusProbe, *envelopes: Envelope) -> None:
    """Publish `envelopes` in order and return once routing has handled every one."""
    for envelope in envelopes:
        await probe.publish(envelope)
    await eventually(lambda: handled(namespace, [e.id for e in envelopes]))


async def put_agent(http: Any, agent_id: str, **profile: Any) -> None:
    """A new agent, of billing with billing 5 unless `profile` says otherwise."""
    body = {"name": agent_id, "department": "billing", "skills": {"billing": 5}, **profile}
    assert (await http.put(f"/agents/{agent_id}", json=body)).status_code == 201


def resolved(ticket_id: str, agent_id: str | None = None) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, agent_id=agent_id, resolved_at=T0)
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id)


def distinct_by_ticket(events: list[Envelope]) -> dict[str, set[str]]:
    """Ticket id -> ids of the distinct events about it (a relay may repeat an event id)."""
    by_ticket: dict[str, set[str]] = {}
    for event in events:
        by_ticket.setdefault(event.subject, set()).add(event.id)
    return by_ticket


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0) -> T:
    """Poll `check` until it returns something truthy, failing after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


async def handled(namespace: Namespace, event_ids: list[str]) -> bool:
    """Routing's inbox has recorded every one of `event_ids`."""
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        inbox = client[namespace.database("routing")]["inbox"]
        return await inbox.count_documents({"_id": {"$in": event_ids}}) == len(event_ids)
    finally:
        await client.close()


async def routing_queue_drained(namespace: Namespace) -> bool:
    """With every routing app stopped, nothing is left in routing's queue: all was handled."""
    connection = await aio_pika.connect(namespace.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{namespace.queue_prefix}routing.events", passive=True)
        return queue.declaration_result.message_count == 0


async def all_published_so_far(probe: BusProbe) -> None:
    """Return once the probe has seen every event published before this call."""
    marker = uuid.uuid4().hex
    payload = NotificationSentV1(
        notification_id=marker,
        ticket_id=marker,
        cause_event_id=marker,
        cause_event_type="test.marker",
        recipient="marker@example.com",
        template="marker",
        sent_at=T0,
    )
    await probe.publish(Envelope.wrap(payload, source="/tests/routing", subject=marker))
    await probe.wait_for("notification.sent.v1", subject=marker)


async def claim_then_crash(app: FastAPI, agent_id: str) -> str:
    """Claim a new ticket for `agent_id` the way a claimer does, then stop as if it died."""
    stores = app.state.stores
    ticket = RoutingTicket(new_id("T"), "billing", Priority.normal, T0, SkillRequirement("billing"))
    await stores.tickets.add(ticket, stores.now())
    await stores.tickets.mark_routed(ticket.ticket_id)  # queued once, drained by the dead one
    agent = await views.agent(agent_id, stores)
    claimed = agent.assign(ticket, stores.now())
    events = assigning.recorded(agent.pull_events())
    assert await stores.assignments.claim(claimed, events) is ClaimResult.claimed
    return ticket.ticket_id


class RunsFirst:
    """The assignments collection, running `rival` once just before the first `method` call:
    what another coroutine does between a claim's read and its conditional write."""

    def __init__(self, collection: Any, method: str, rival: Callable[[], Awaitable[Any]]) -> None:
        self._collection = collection
        self._method = method
        self._rival: Callable[[], Awaitable[Any]] | None = rival

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name != self._method:
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            rival, self._rival = self._rival, None
            if rival is not None:
                await rival()
            return await attribute(*args, **kwargs)

        return call
