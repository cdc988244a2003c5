"""Real servers for integration and e2e tests.

Servers come from `TICKETFLOW_AMQP_URL` / `TICKETFLOW_MONGO_URL` / `TICKETFLOW_SMTP_*` when
set; otherwise from testcontainers where a Docker engine answers; otherwise the local
servers started by `deploy/infra.sh`.
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from ticketflow_shared.events import Envelope

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Servers:
    amqp_url: str
    mongo_url: str
    smtp_host: str
    smtp_port: int
    smtp_api: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def _local_servers() -> dict[str, str]:
    """Start the local servers with the deploy scripts and read back their URLs."""
    out = subprocess.run(
        [str(ROOT / "deploy" / "infra.sh"), "start"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line.removeprefix("export ").split("=", 1)
            env[key] = value.strip("'\"")
    return env


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    env = dict(os.environ)
    containers = []
    if not env.get("TICKETFLOW_AMQP_URL") or not env.get("TICKETFLOW_MONGO_URL"):
        if _docker_answers():
            from testcontainers.mongodb import MongoDbContainer
            from testcontainers.rabbitmq import RabbitMqContainer

            rabbit = RabbitMqContainer("rabbitmq:4-management").start()
            mongo = MongoDbContainer("mongo:7").start()
            containers = [rabbit, mongo]
            params = rabbit.get_connection_params()
            env["TICKETFLOW_AMQP_URL"] = f"amqp://guest:guest@{params.host}:{params.port}/"
            env["TICKETFLOW_MONGO_URL"] = mongo.get_connection_url()
        else:
            env = {
                **_local_servers(),
                **{k: v for k, v in env.items() if k.startswith("TICKETFLOW_")},
            }
    if not env.get("TICKETFLOW_SMTP_API"):
        env = {**_local_servers(), **env}
    yield Servers(
        amqp_url=env["TICKETFLOW_AMQP_URL"],
        mongo_url=env["TICKETFLOW_MONGO_URL"],
        smtp_host=env.get("TICKETFLOW_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("TICKETFLOW_SMTP_PORT", "1025")),
        smtp_api=env.get("TICKETFLOW_SMTP_API", "http://127.0.0.1:8025"),
    )
    for container in containers:
        container.stop()


@dataclass(frozen=True)
class Namespace:
    """Names that keep one test's exchange, queues and databases apart from every other's."""

    token: str
    servers: Servers

    @property
    def exchange(self) -> str:
        return f"test-{self.token}"

    @property
    def queue_prefix(self) -> str:
        return f"test-{self.token}-"

    def database(self, service: str) -> str:
        return f"test_{self.token}_{service}"

    def env(self, service: str) -> dict[str, str]:
        """`TICKETFLOW_*` variables for one service of this namespace."""
        return {
            "TICKETFLOW_SERVICE_NAME": service,
            "TICKETFLOW_AMQP_URL": self.servers.amqp_url,
            "TICKETFLOW_MONGO_URL": self.servers.mongo_url,
            "TICKETFLOW_MONGO_DB": self.database(service),
            "TICKETFLOW_EXCHANGE": self.exchange,
            "TICKETFLOW_QUEUE_PREFIX": self.queue_prefix,
            "TICKETFLOW_SMTP_HOST": self.servers.smtp_host,
            "TICKETFLOW_SMTP_PORT": str(self.servers.smtp_port),
            "TICKETFLOW_RETRY_BACKOFF_SECONDS": "0.05",
            "TICKETFLOW_OUTBOX_POLL_SECONDS": "0.5",
        }

    def settings(self, settings_class: type, service: str, **overrides: object):
        fields = {
            key.removeprefix("TICKETFLOW_").lower(): value
            for key, value in self.env(service).items()
        }
        known = settings_class.model_fields
        return settings_class(**{k: v for k, v in {**fields, **overrides}.items() if k in known})


async def _cleanup(namespace: Namespace, services: list[str]) -> None:
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(f"test_{namespace.token}_"):
                await client.drop_database(name)
    finally:
        await client.close()
    connection = await aio_pika.connect(namespace.servers.amqp_url)
    async with connection:
        for service in services:
            for purpose in ("events", "dlq-probe"):
                for suffix in ("", ".dlq"):
                    channel = await connection.channel()
                    with contextlib.suppress(Exception):  # the queue was never declared
                        await channel.queue_delete(
                            f"{namespace.queue_prefix}{service}.{purpose}{suffix}"
                        )
                    if not channel.is_closed:
                        await channel.close()
        channel = await connection.channel()
        for exchange in (namespace.exchange, f"{namespace.exchange}.dlx"):
            try:
                await channel.exchange_delete(exchange)
            except Exception:  # the exchange was never declared
                channel = await connection.channel()


SERVICES = ["intake", "routing", "notify", "reporting"]


@pytest.fixture
async def namespace(servers: Servers) -> AsyncIterator[Namespace]:
    ns = Namespace(token=uuid.uuid4().hex[:10], servers=servers)
    yield ns
    await _cleanup(ns, SERVICES)


@asynccontextmanager
async def serve_in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service app's lifespan (store, bus, consumers) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class BusProbe:
    """Sees every event on a namespace's exchange, and publishes as any service would."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self.events: list[Envelope] = []
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        self.connection = await aio_pika.connect(self.namespace.servers.amqp_url)
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await self.channel.declare_exchange(
            self.namespace.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.exchange, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        envelope = Envelope.model_validate_json(message.body)
        async with self._arrived:
            self.events.append(envelope)
            self._arrived.notify_all()

    def of_type(self, event_type: str, subject: str | None = None) -> list[Envelope]:
        return [
            e
            for e in self.events
            if e.type == event_type and (subject is None or e.subject == subject)
        ]

    async def wait_for(
        self, event_type: str, subject: str | None = None, count: int = 1, timeout: float = 20
    ) -> list[Envelope]:
        async def enough() -> list[Envelope]:
            async with self._arrived:
                await self._arrived.wait_for(
                    lambda: len(self.of_type(event_type, subject)) >= count
                )
            return self.of_type(event_type, subject)

        return await asyncio.wait_for(enough(), timeout)

    async def publish(self, envelope: Envelope) -> None:
        await self.publish_raw(envelope.model_dump_json().encode(), envelope.type)

    async def publish_raw(self, body: bytes, routing_key: str) -> None:
        await self.exchange.publish(
            aio_pika.Message(body=body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )

    async def close(self) -> None:
        await self.connection.close()


@pytest.fixture
async def bus_probe(namespace: Namespace) -> AsyncIterator[BusProbe]:
    probe = BusProbe(namespace)
    await probe.start()
    yield probe
    await probe.close()
