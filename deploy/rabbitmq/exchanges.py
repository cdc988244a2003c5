"""Declare the topic exchange and its dead-letter exchange, as the broker's administrator.

Usage: exchanges.py AMQP_URL (the exchange from TICKETFLOW_EXCHANGE, default ticketflow).
The services' own users may use these exchanges but not declare them, so they are made here.
"""

import asyncio
import os
import sys

import aio_pika
from definitions import DEAD_LETTER_EXCHANGE_SUFFIX


async def declare(url: str, exchange: str) -> None:
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await channel.declare_exchange(
            exchange + DEAD_LETTER_EXCHANGE_SUFFIX, aio_pika.ExchangeType.DIRECT, durable=True
        )


if __name__ == "__main__":
    asyncio.run(declare(sys.argv[1], os.environ.get("TICKETFLOW_EXCHANGE") or "ticketflow"))
