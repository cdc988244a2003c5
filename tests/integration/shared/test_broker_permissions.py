"""Each service's own broker user: its bus does all it needs, and nothing of another's."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelAccessRefused

from support import BusProbe, Namespace, until
from ticketflow_shared import dead_letters
from ticketflow_shared.bus import DEAD_LETTER_EXCHANGE_SUFFIX, Bus
from ticketflow_shared.events import Envelope, Payload, TicketResolvedV1, utcnow

pytestmark = pytest.mark.integration

SERVICES = ("intake", "routing", "notify", "reporting")
PUBLISHERS = ("intake", "routing", "notify")


def resolved(ticket_id: str) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, resolved_at=utcnow())
    return Envelope.wrap(payload, source="/test", subject=ticket_id)


@pytest.fixture
async def exchanges(namespace: Namespace, bus_probe: BusProbe) -> AsyncIterator[BusProbe]:
    """The namespace's exchanges, made by the administrator as the broker's definitions are."""
    urls = namespace.servers.service_amqp_urls
    if set(urls) != set(SERVICES):
        pytest.skip(
            "no per-service broker users (TICKETFLOW_AMQP_URL_<SERVICE>): deploy/infra.sh makes"
            " them on the local node, not on a broker given in TICKETFLOW_AMQP_URL"
        )
    await bus_probe.channel.declare_exchange(
        namespace.exchange + DEAD_LETTER_EXCHANGE_SUFFIX, aio_pika.ExchangeType.DIRECT, durable=True
    )
    yield bus_probe


def service_bus(namespace: Namespace, service: str) -> Bus:
    return Bus(
        namespace.servers.amqp_url_of(service),
        exchange=namespace.exchange,
        namespace=f"{namespace.queue_prefix}{service}",
    )


async def dead_letter_count(bus: Bus) -> int:
    return (await dead_letters.peek(bus, "events"))[0]


async def eventually(read: Callable[[], Awaitable[int]], expected: int) -> None:
    async with asyncio.timeout(20):
        while await read() != expected:
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_user_declares_binds_consumes_replays_and_publishes_what_it_may(
    service: str, namespace: Namespace, exchanges: BusProbe
) -> None:
    handled: list[str] = []

    async def handle(envelope: Envelope, payload: Payload) -> None:
        handled.append(envelope.id)

    bus = service_bus(namespace, service)
    await bus.connect()
    try:
        await bus.subscribe("events", ["ticket.resolved.v1"], handle)
        event = resolved(f"{service}-in")
        await exchanges.publish(event)
        await until(lambda: handled == [event.id])

        await exchanges.publish_raw(b"not an event", "ticket.resolved.v1")
        await eventually(lambda: dead_letter_count(bus), 1)
        assert await dead_letters.replay(bus, "events", limit=1) == 1
        await eventually(lambda: dead_letter_count(bus), 1)  # unusable again, dead-lettered again

        out = resolved(f"{service}-out")
        if service in PUBLISHERS:
            await bus.publish(out)
            await exchanges.wait_for("ticket.resolved.v1", subject=out.subject)
        else:
            with pytest.raises(ChannelAccessRefused):
                await bus.publish(out)
    finally:
        await bus.close()


def _queue(namespace: Namespace, service: str, suffix: str = "") -> str:
    return f"{namespace.queue_prefix}{service}.events{suffix}"


async def _consume(channel: AbstractChannel, name: str) -> None:
    async def ignore(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        return None

    await (await channel.get_queue(name)).consume(ignore)


async def _get(channel: AbstractChannel, name: str) -> None:
    await (await channel.get_queue(name)).get(fail=False)


async def _bind(channel: AbstractChannel, name: str, namespace: Namespace) -> None:
    await (await channel.get_queue(name)).bind(namespace.exchange, routing_key="#")


async def _purge(channel: AbstractChannel, name: str) -> None:
    await (await channel.get_queue(name)).purge()


ATTEMPTS = {
    "consume notify's queue": lambda ch, ns: _consume(ch, _queue(ns, "notify")),
    "take notify's dead letters": lambda ch, ns: _get(ch, _queue(ns, "notify", ".dlq")),
    "purge notify's queue": lambda ch, ns: _purge(ch, _queue(ns, "notify")),
    "delete notify's queue": lambda ch, ns: ch.queue_delete(_queue(ns, "notify")),
    "declare a queue of notify's": lambda ch, ns: ch.declare_queue(
        f"{ns.queue_prefix}notify.other", durable=True
    ),
    "declare a queue of no service's": lambda ch, ns: ch.declare_queue(
        f"{ns.queue_prefix}anything", durable=True
    ),
    "bind notify's queue to more events": lambda ch, ns: _bind(ch, _queue(ns, "notify"), ns),
    "delete the exchange": lambda ch, ns: ch.exchange_delete(ns.exchange),
    "delete the dead-letter exchange": lambda ch, ns: ch.exchange_delete(
        ns.exchange + DEAD_LETTER_EXCHANGE_SUFFIX
    ),
    "declare an exchange": lambda ch, ns: ch.declare_exchange(f"{ns.exchange}-other"),
}


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_routing_user_is_refused_what_is_not_routing_s(
    attempt: str, namespace: Namespace, exchanges: BusProbe
) -> None:
    handled: list[str] = []

    async def handle(envelope: Envelope, payload: Payload) -> None:
        handled.append(envelope.subject)

    notify = service_bus(namespace, "notify")
    await notify.connect()
    await notify.subscribe("events", ["ticket.resolved.v1"], handle)
    connection = await aio_pika.connect(namespace.servers.amqp_url_of("routing"))
    try:
        async with connection:
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await ATTEMPTS[attempt](channel, namespace)
        # Nothing of notify's changed: its consumer still gets the events it is bound to.
        await exchanges.publish(resolved("after-refusal"))
        await until(lambda: handled == ["after-refusal"])
    finally:
        await notify.close()
