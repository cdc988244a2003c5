"""The bus adapter on the real broker: reconnecting after a dropped connection, and shutdown."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from support import BusProbe, Namespace, broker_cli_reaches, close_connections_named, until
from ticketflow_shared import dead_letters
from ticketflow_shared.bus import Bus
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import Envelope, Payload, TicketQueuedV1, TicketResolvedV1, utcnow

pytestmark = pytest.mark.integration


def resolved(ticket_id: str) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, resolved_at=utcnow())
    return Envelope.wrap(payload, source="/test", subject=ticket_id)


async def connected_bus(namespace: Namespace, handler: Callable[..., Awaitable[None]]) -> Bus:
    bus = Bus(
        namespace.servers.amqp_url,
        exchange=namespace.exchange,
        namespace=f"{namespace.queue_prefix}notify",
    )
    await bus.connect()
    await bus.subscribe("events", ["ticket.resolved.v1"], handler)
    return bus


async def test_a_handler_midway_when_the_connection_drops_still_finishes(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    """The redelivered copy must find the first copy's work done, not cut off halfway."""
    if not broker_cli_reaches(namespace.servers.amqp_url):
        pytest.skip("drops connections with the CLI of a broker on this machine")
    calls: list[str] = []
    finished: list[str] = []
    release = asyncio.Event()

    async def handle(envelope: Envelope, payload: Payload) -> None:
        calls.append(envelope.id)
        if len(calls) == 1:
            await release.wait()  # e.g. an email handed to the mail server, not yet recorded
        finished.append(envelope.id)

    bus = await connected_bus(namespace, handle)
    try:
        event = resolved("midway")
        await bus_probe.publish(event)
        await until(lambda: len(calls) == 1)
        assert close_connections_named(bus.namespace) == 1
        # The broker requeues the unacked message and the reconnected consumer gets it again
        # while the first copy is still at work.
        await until(lambda: len(calls) == 2, seconds=30)
        release.set()
        await until(lambda: len(finished) == 2)
    finally:
        await bus.close()
    assert finished == [event.id, event.id]


async def test_consumers_come_back_after_the_broker_drops_the_connection(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    if not broker_cli_reaches(namespace.servers.amqp_url):
        pytest.skip("drops connections with the CLI of a broker on this machine")
    handled: list[str] = []

    async def handle(envelope: Envelope, payload: Payload) -> None:
        handled.append(envelope.subject)

    bus = await connected_bus(namespace, handle)
    try:
        await bus.publish(resolved("before"))
        await until(lambda: "before" in handled)

        assert close_connections_named(bus.namespace) == 1
        await bus_probe.publish(resolved("while-away"))
        await until(lambda: "while-away" in handled, seconds=30)
        await bus.publish(resolved("after"))
        await until(lambda: "after" in handled)
    finally:
        await bus.close()
    assert handled == ["before", "while-away", "after"]


async def test_shutdown_lets_a_message_in_flight_finish_and_acks_it(namespace: Namespace) -> None:
    started, finished = asyncio.Event(), []

    async def slow(envelope: Envelope, payload: Payload) -> None:
        started.set()
        await asyncio.sleep(1.0)
        finished.append(envelope.id)

    bus = await connected_bus(namespace, slow)
    event = resolved("slow")
    await bus.publish(event)
    await asyncio.wait_for(started.wait(), 20)
    await bus.close()
    assert finished == [event.id]

    redelivered: list[str] = []

    async def record(envelope: Envelope, payload: Payload) -> None:
        redelivered.append(envelope.id)

    again = await connected_bus(namespace, record)
    try:
        await again.publish(resolved("marker"))
        await until(lambda: len(redelivered) >= 1)
    finally:
        await again.close()
    assert event.id not in redelivered


async def test_dead_letters_can_be_inspected_and_replayed(namespace: Namespace) -> None:
    healthy = False
    handled: list[str] = []

    async def flaky(envelope: Envelope, payload: Payload) -> None:
        if not healthy:
            raise RuntimeError("downstream is down")
        handled.append(envelope.id)

    bus = Bus(
        namespace.servers.amqp_url,
        exchange=namespace.exchange,
        namespace=f"{namespace.queue_prefix}notify",
        max_delivery_attempts=2,
        retry_backoff_seconds=0.01,
    )
    await bus.connect()
    try:
        await bus.subscribe("events", ["ticket.resolved.v1"], flaky)
        event = resolved("dead")
        await bus.publish(event)

        async def dead_letter_count() -> int:
            return (await dead_letters.peek(bus, "events"))[0]

        async with asyncio.timeout(20):
            while await dead_letter_count() < 1:
                await asyncio.sleep(0.1)
        count, letters = await dead_letters.peek(bus, "events")
        assert count == 1
        assert letters[0].message_id == event.id
        assert letters[0].routing_key == "ticket.resolved.v1"
        assert "dead" in letters[0].body
        assert (await dead_letters.peek(bus, "events"))[0] == 1  # peeking keeps the message

        healthy = True
        assert await dead_letters.replay(bus, "events") == 1
        await until(lambda: handled == [event.id])
        assert (await dead_letters.peek(bus, "events"))[0] == 0
    finally:
        await bus.close()


async def test_an_event_no_handler_takes_is_dead_lettered_at_once(namespace: Namespace) -> None:
    """A binding left from an older version: the message goes to the dead-letter queue on its
    first delivery instead of being retried."""
    calls: list[str] = []

    async def queued_only(envelope: Envelope, payload: Payload) -> None:
        calls.append(envelope.id)

    handlers = EventHandlers().on(TicketQueuedV1, handler=queued_only)
    bus = Bus(
        namespace.servers.amqp_url,
        exchange=namespace.exchange,
        namespace=f"{namespace.queue_prefix}notify",
        max_delivery_attempts=5,
    )
    await bus.connect()
    try:
        deliveries: list[str] = []

        async def counted(envelope: Envelope, payload: Payload) -> None:
            deliveries.append(envelope.id)
            await handlers(envelope, payload)

        # Bound to resolved events too, which the registry has no handler for.
        await bus.subscribe("events", [*handlers.event_types, "ticket.resolved.v1"], counted)
        stale = resolved("stale")
        await bus.publish(stale)

        async def dead() -> list:
            return (await dead_letters.peek(bus, "events"))[1]

        async with asyncio.timeout(20):
            while not await dead():
                await asyncio.sleep(0.1)
        [letter] = await dead()
        assert letter.message_id == stale.id
        assert deliveries == [stale.id]  # not retried: it can never be handled here
        assert calls == []
    finally:
        await bus.close()
