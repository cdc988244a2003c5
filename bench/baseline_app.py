"""Bare baseline: an HTTP endpoint that only publishes one confirmed, persistent message."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from fastapi import FastAPI, Request

AMQP_URL = os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
EXCHANGE = os.environ.get("BENCH_EXCHANGE", "bench-baseline")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    app.state.exchange = await channel.declare_exchange(
        EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    yield
    await connection.close()


app = FastAPI(lifespan=lifespan)


@app.post("/publish", status_code=201)
async def publish(request: Request) -> dict[str, str]:
    body = await request.body()
    message_id = request.headers["x-bench-id"]
    await request.app.state.exchange.publish(
        aio_pika.Message(
            body=body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        ),
        routing_key="bench.published",
        mandatory=True,
        timeout=5,
    )
    return {"id": message_id}
