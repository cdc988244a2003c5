"""Helpers for integration and e2e tests: namespaces, an event probe, in-process apps."""

import asyncio
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aio_pika
import httpx
import uvicorn
from fastapi import FastAPI

from credentials import TEST_JWT_SECRET, admin_headers
from ticketflow_shared.events import Envelope

TEST_PII_KEYS = "test1:7xRa84If71eHYMzIcLLq1gxa7ekcjXN2UH296xtsSh0="
TEST_PII_INDEX_KEY = "cXT6BBxJ7JD7QoQpRov7/zcXc6AaTjhl+l9KJJVssnA="


@dataclass(frozen=True)
class Servers:
    amqp_url: str
    mongo_url: str
    smtp_host: str
    smtp_port: int
    smtp_api: str
    # Each service's own broker user (TICKETFLOW_AMQP_URL_<SERVICE>), where the broker has them.
    service_amqp_urls: dict[str, str] = field(default_factory=dict, repr=False)

    def amqp_url_of(self, service: str) -> str:
        return self.service_amqp_urls.get(service, self.amqp_url)


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
            "TICKETFLOW_AUTH_JWT_SECRET": TEST_JWT_SECRET,
            # Tests and the fuzz suite send many requests with one credential.
            "TICKETFLOW_RATE_LIMIT_PER_SECOND": "5000",
            "TICKETFLOW_RATE_LIMIT_BURST": "20000",
            # Functional tests share a busy 2-core machine: a request cut at the product's
            # 1 s deadline there is load shedding, not what they test. The deadline has its
            # own tests, which set it back.
            "TICKETFLOW_HTTP_DEADLINE_SECONDS": "15",
            # Test-only keys: customer data is sealed at rest (ticketflow_shared.pii).
            "TICKETFLOW_PII_KEYS": TEST_PII_KEYS,
            "TICKETFLOW_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        }

    def settings(self, settings_class: type, service: str, **overrides: object):
        fields = {
            key.removeprefix("TICKETFLOW_").lower(): value
            for key, value in self.env(service).items()
        }
        known = settings_class.model_fields
        return settings_class(**{k: v for k, v in {**fields, **overrides}.items() if k in known})


@asynccontextmanager
async def serve_in_process(
    app: FastAPI, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service app's lifespan (store, bus, consumers) and talk to it over ASGI, as an
    admin unless `headers` say otherwise."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers=admin_headers() if headers is None else headers,
        ) as client:
            yield client


@asynccontextmanager
async def served_on_port(app: FastAPI) -> AsyncIterator[str]:
    """The app behind uvicorn on a free local port, as `deploy/up` runs it; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


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


async def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


def broker_cli_reaches(amqp_url: str) -> bool:
    """True when the broker runs on this machine and its CLI can drop connections."""
    host = urlsplit(amqp_url).hostname
    return shutil.which("rabbitmqctl") is not None and host in ("127.0.0.1", "localhost")


def close_connections_named(name: str) -> int:
    """Drop this client's connections from the broker's side, as a broker restart would."""
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = [line.split("\t")[0] for line in listing.splitlines() if f'"{name}"' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test"], check=True)
    return len(pids)
