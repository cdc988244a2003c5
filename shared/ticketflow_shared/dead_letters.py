"""Operating a service's dead-letter queue: what is in it, and putting it back.

Peeking takes each message and puts it back (RabbitMQ has no browse). On RabbitMQ 4 every
quorum queue has a delivery limit (20 by default) and each return counts as a delivery, so a
dead letter peeked that often is dropped: peek sparingly.
"""

import json
import logging
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from ticketflow_shared.bus import Bus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    """What an operator needs to judge a dead letter before replaying it."""

    message_id: str | None
    routing_key: str | None
    reason: str | None
    deaths: int
    body: str
    subject: str | None = None  # the envelope's, when the body is one: whose letter it is

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> "DeadLetter":
        deaths = (message.headers or {}).get("x-death") or []
        first = deaths[0] if isinstance(deaths, list) and deaths else {}
        keys = first.get("routing-keys") if isinstance(first, dict) else None
        return cls(
            message_id=message.message_id,
            routing_key=str(keys[0]) if keys else message.routing_key,
            reason=str(first.get("reason")) if isinstance(first, dict) and first else None,
            deaths=sum(int(d.get("count", 1)) for d in deaths if isinstance(d, dict)),
            body=message.body[:2000].decode("utf-8", errors="replace"),
            subject=_subject_of(message.body),
        )


def _subject_of(body: bytes) -> str | None:
    try:
        subject = json.loads(body).get("subject")
    except (ValueError, AttributeError):
        return None
    return subject if isinstance(subject, str) else None


async def peek(bus: Bus, purpose: str, limit: int = 50) -> tuple[int, list[DeadLetter]]:
    """How many messages `purpose`'s dead-letter queue holds, and the first `limit` of them.

    Peeking takes each message and puts it back, so the queue keeps all of them.
    """
    async with bus.connection.channel() as channel:
        queue = await channel.declare_queue(f"{bus.queue_name(purpose)}.dlq", passive=True)
        total = queue.declaration_result.message_count or 0
        taken = []
        for _ in range(min(limit, total)):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            taken.append(message)
        letters = [DeadLetter.of(message) for message in taken]
        for message in taken:
            await message.nack(requeue=True)
    return total, letters


async def replay(bus: Bus, purpose: str, limit: int = 100) -> int:
    """Move up to `limit` dead letters back onto `purpose`'s own queue, oldest first."""
    name = bus.queue_name(purpose)
    replayed = 0
    async with bus.connection.channel() as channel:
        queue = await channel.declare_queue(f"{name}.dlq", passive=True)
        for _ in range(limit):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            await bus.publish_channel.default_exchange.publish(
                aio_pika.Message(
                    body=message.body,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    type=message.type,
                    timestamp=message.timestamp,
                    app_id=message.app_id,
                    headers=headers,
                ),
                routing_key=name,
                mandatory=True,
                timeout=bus.publish_timeout_seconds,
            )
            await message.ack()
            replayed += 1
    log.info("replayed %d dead letters into %s", replayed, name)
    return replayed
