"""Fixtures for e2e tests: the running platform and the trace receiver it exports to."""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import aio_pika
import pytest
from pymongo import AsyncMongoClient

from e2e_platform import SERVICES, Platform
from otlp_receiver import OtlpReceiver
from support import Namespace, Servers


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@asynccontextmanager
async def _running(
    namespace: Namespace,
    otlp_endpoint: str,
    extra_env: dict[str, dict[str, str]] | None = None,
    processes: tuple[str, ...] = SERVICES,
) -> AsyncIterator[Platform]:
    running = Platform(namespace, otlp_endpoint, extra_env=extra_env or {})
    await running.declare_exchanges()
    try:
        for process in processes:
            running.start(process)
        for process in processes:
            await running.wait_ready(process)
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def platform_env() -> dict[str, dict[str, str]]:
    """Settings by service on top of the namespace's; a test module overrides it."""
    return {}


@pytest.fixture
def platform_processes() -> tuple[str, ...]:
    """The processes `platform` runs: one per service unless a test module says otherwise."""
    return SERVICES


@pytest.fixture
async def platform(
    namespace: Namespace,
    otlp_receiver: OtlpReceiver,
    platform_env: dict[str, dict[str, str]],
    platform_processes: tuple[str, ...],
) -> AsyncIterator[Platform]:
    async with _running(
        namespace, otlp_receiver.endpoint, platform_env, platform_processes
    ) as running:
        yield running


@pytest.fixture(scope="module")
def module_platform_env() -> dict[str, dict[str, str]]:
    """Settings by service for `module_platform`; a test module overrides it."""
    return {}


@pytest.fixture(scope="module")
async def module_platform(
    servers: Servers, otlp_receiver: OtlpReceiver, module_platform_env: dict[str, dict[str, str]]
) -> AsyncIterator[Platform]:
    """One platform for every test of a module, for tests that only talk to it over HTTP."""
    namespace = Namespace(token=uuid.uuid4().hex[:10], servers=servers)
    try:
        async with _running(namespace, otlp_receiver.endpoint, module_platform_env) as running:
            yield running
    finally:
        await _remove(namespace)


async def _remove(namespace: Namespace) -> None:
    """Drop what the four services made on the servers, as `namespace` does after each test.

    Deleting a queue or an exchange that is not there is no error on RabbitMQ.
    """
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        for service in SERVICES:
            await client.drop_database(namespace.database(service))
    finally:
        await client.close()
    connection = await aio_pika.connect(namespace.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        for service in SERVICES:
            for queue in ("events", "events.dlq"):
                await channel.queue_delete(f"{namespace.queue_prefix}{service}.{queue}")
        for exchange in (namespace.exchange, f"{namespace.exchange}.dlx"):
            await channel.exchange_delete(exchange)
