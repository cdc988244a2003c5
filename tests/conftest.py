"""Real servers for integration and e2e tests.

Servers come from `TICKETFLOW_AMQP_URL` / `TICKETFLOW_MONGO_URL` / `TICKETFLOW_SMTP_*` when
set; otherwise from testcontainers where a Docker engine answers; otherwise the local
servers started by `deploy/infra.sh`.
"""

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import pytest
from pymongo import AsyncMongoClient

from support import BusProbe, Namespace, Servers

ROOT = Path(__file__).resolve().parents[1]


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def _local_servers() -> dict[str, str]:
    """Start local servers with a deploy script and read back the URLs it exports."""
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


def _service_amqp_urls(env: dict[str, str]) -> dict[str, str]:
    """The services' own broker users, as `deploy/infra.sh` exports them for its broker."""
    broker = urlsplit(env["TICKETFLOW_AMQP_URL"]).netloc.rpartition("@")[2]
    urls = {s: env.get(f"TICKETFLOW_AMQP_URL_{s.upper()}", "") for s in SERVICES}
    return {s: u for s, u in urls.items() if u and urlsplit(u).netloc.endswith(f"@{broker}")}


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
            env = {k: v for k, v in env.items() if not k.startswith("TICKETFLOW_AMQP_URL_")}
        else:
            env = {
                **_local_servers(),
                **{k: v for k, v in env.items() if k.startswith("TICKETFLOW_")},
            }
    if not env.get("TICKETFLOW_SMTP_API"):
        subprocess.run([str(ROOT / "deploy" / "smtp.sh"), "start"], capture_output=True, check=True)
    yield Servers(
        amqp_url=env["TICKETFLOW_AMQP_URL"],
        mongo_url=env["TICKETFLOW_MONGO_URL"],
        smtp_host=env.get("TICKETFLOW_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("TICKETFLOW_SMTP_PORT", "1025")),
        smtp_api=env.get("TICKETFLOW_SMTP_API", "http://127.0.0.1:8025"),
        service_amqp_urls=_service_amqp_urls(env),
    )
    for container in containers:
        container.stop()


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
            for purpose in ("events", "access", "dlq-probe"):
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


@pytest.fixture
async def bus_probe(namespace: Namespace) -> AsyncIterator[BusProbe]:
    probe = BusProbe(namespace)
    await probe.start()
    yield probe
    await probe.close()
