"""RabbitMQ adapter: confirmed, persistent, mandatory publishing and manual-ack consumers.

Each service gets one durable quorum queue per purpose, bound to the topic exchange by
event type. A handler's failure requeues the message after a short back-off; the queue's
delivery limit then dead-letters it into `<queue>.dlq`. A message that can never be
handled (`InvalidEvent`) is dead-lettered at once.

Publish and process spans are made here rather than by opentelemetry-instrumentation-aio-pika:
an outbox event may be published later by the relay, so its publish span must continue the
trace stamped on the envelope when the event was recorded, not the relay's own context.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ticketflow_shared.events import Envelope, InvalidEvent, Payload, parse_envelope
from ticketflow_shared.telemetry import context_from, current_trace_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer("ticketflow.bus")

EventHandler = Callable[[Envelope, Payload], Awaitable[None]]
DEAD_LETTER_EXCHANGE_SUFFIX = ".dlx"


class Bus:
    """One robust connection; a confirming publisher channel and one channel per consumer."""

    def __init__(
        self,
        url: str,
        *,
        exchange: str,
        namespace: str,
        prefetch: int = 32,
        max_delivery_attempts: int = 5,
        retry_backoff_seconds: float = 0.2,
        publish_timeout_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.namespace = namespace
        self.prefetch = prefetch
        self.max_delivery_attempts = max_delivery_attempts
        self.retry_backoff_seconds = retry_backoff_seconds
        self.publish_timeout_seconds = publish_timeout_seconds
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def dead_letter_exchange(self) -> str:
        return self.exchange_name + DEAD_LETTER_EXCHANGE_SUFFIX

    def queue_name(self, purpose: str) -> str:
        return f"{self.namespace}.{purpose}"

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self.url, client_properties={"connection_name": self.namespace}
        )
        self._publish_channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._exchange_of(self.exchange_name, aio_pika.ExchangeType.TOPIC)
        await self._exchange_of(self.dead_letter_exchange, aio_pika.ExchangeType.DIRECT)

    async def _exchange_of(self, name: str, kind: aio_pika.ExchangeType) -> AbstractExchange:
        """The exchange as it is, declared only when missing.

        Where the exchanges are made beforehand (deploy/rabbitmq/), a service's broker user has
        no configure permission on them: it could delete them otherwise.
        """
        assert self._connection is not None and self._publish_channel is not None
        exists = True
        try:
            async with self._connection.channel() as probe:  # a failed check closes its channel
                await probe.declare_exchange(name, kind, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            exists = False
        return await self._publish_channel.declare_exchange(
            name, kind, durable=True, passive=exists
        )

    async def publish(self, envelope: Envelope) -> None:
        """Publish and wait for the broker's confirm; raise if it is not routed or not confirmed."""
        assert self._exchange is not None, "connect() first"
        parent = context_from(envelope.trace_carrier()) if envelope.traceparent else None
        with tracer.start_as_current_span(
            f"publish {self.exchange_name}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes=_messaging_attributes(self.exchange_name, envelope, "send", "publish"),
        ):
            message = aio_pika.Message(
                body=envelope.model_dump_json().encode(),
                content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=envelope.id,
                type=envelope.type,
                timestamp=envelope.time,
                app_id=self.namespace,
                headers=current_trace_headers(),
            )
            await self._exchange.publish(
                message,
                routing_key=envelope.type,
                mandatory=True,
                timeout=self.publish_timeout_seconds,
            )

    async def subscribe(
        self, purpose: str, event_types: Iterable[str], handler: EventHandler
    ) -> AbstractQueue:
        """Consume `event_types` into this service's durable queue for `purpose`."""
        assert self._connection is not None, "connect() first"
        name = self.queue_name(purpose)
        channel = await self._connection.channel()
        dead_letters = await channel.declare_queue(
            f"{name}.dlq", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_letters.bind(self.dead_letter_exchange, routing_key=name)
        arguments = {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.max_delivery_attempts - 1,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": name,
        }
        try:
            queue = await channel.declare_queue(name, durable=True, arguments=arguments)
        except aio_pika.exceptions.ChannelPreconditionFailed:
            # A queue's arguments are fixed once it exists; a changed delivery limit needs the
            # queue re-created (or a policy). Keep serving with the queue as it is.
            log.warning(
                "queue %s exists with other arguments than %s; using it as is", name, arguments
            )
            channel = await self._connection.channel()
            queue = await channel.declare_queue(name, passive=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        for event_type in event_types:
            await queue.bind(self.exchange_name, routing_key=event_type)

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.ensure_future(self._deliver(name, message, handler))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            # aiormq cancels a consumer's callbacks when its channel closes (broker restart,
            # dropped connection). Shielded, the handler still finishes the write it began, so
            # the redelivered copy finds the work done rather than half done (e.g. an email
            # sent but not yet recorded as sent).
            await asyncio.shield(task)

        tag = await queue.consume(on_message, no_ack=False)
        self._consumers.append((queue, tag))
        return queue

    async def _deliver(
        self, queue: str, message: AbstractIncomingMessage, handler: EventHandler
    ) -> None:
        headers = message.headers or {}
        with tracer.start_as_current_span(
            f"process {queue}",
            context=context_from(headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": self.exchange_name,
                "messaging.consumer.group.name": queue,
                "messaging.rabbitmq.destination.routing_key": message.routing_key or "",
                "messaging.message.id": message.message_id or "",
                "messaging.message.body.size": len(message.body),
            },
        ) as span:
            try:
                envelope, payload = parse_envelope(message.body)
            except InvalidEvent as exc:
                log.error("dead-lettering unusable message on %s: %s", queue, exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
                await _settle(message.reject(requeue=False), message.message_id)
                return
            try:
                await handler(envelope, payload)
            except InvalidEvent as exc:  # e.g. a type this service no longer handles
                log.error("dead-lettering %s on %s: %s", envelope.id, queue, exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
                await _settle(message.reject(requeue=False), envelope.id)
                return
            except Exception as exc:  # a handler failure must never kill the consumer
                attempt = int(headers.get("x-delivery-count", 0) or 0) + 1
                log.exception("handler failed on %s (attempt %d): %s", queue, attempt, envelope.id)
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                await asyncio.sleep(min(self.retry_backoff_seconds * 2 ** (attempt - 1), 5.0))
                await _settle(message.reject(requeue=True), envelope.id)
                return
            await _settle(message.ack(), envelope.id)

    @property
    def connection(self) -> AbstractRobustConnection:
        assert self._connection is not None, "connect() first"
        return self._connection

    @property
    def publish_channel(self) -> AbstractChannel:
        assert self._publish_channel is not None, "connect() first"
        return self._publish_channel

    async def ping(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._publish_channel is not None
            and not self._publish_channel.is_closed
        )

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Stop taking messages, let in-flight handlers finish, then close."""
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except Exception:  # the channel may already be gone; nothing left to cancel
                log.debug("cancel of %s failed", tag, exc_info=True)
        self._consumers.clear()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace_seconds)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


async def _settle(settling: Awaitable[None], message_id: str | None) -> None:
    """Ack or reject; on a channel that closed meanwhile the broker redelivers the message."""
    try:
        await settling
    except (aio_pika.exceptions.ChannelInvalidStateError, aio_pika.exceptions.AMQPError) as exc:
        log.info("channel closed before %s was settled (%r); it comes again", message_id, exc)


def _messaging_attributes(
    exchange: str, envelope: Envelope, operation_type: str, operation_name: str
) -> dict[str, str]:
    return {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": operation_type,
        "messaging.operation.name": operation_name,
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": envelope.type,
        "messaging.message.id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_subject": envelope.subject,
    }
