"""/readyz answers at once, 503, while the store or the broker does not answer."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from support import Namespace
from ticketflow_shared.bus import Bus
from ticketflow_shared.http import health_router
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

PROMPT = 2.0  # seconds; PyMongo's server selection alone would wait 30


@asynccontextmanager
async def silent_port() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never says a word: a store that hangs."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@asynccontextmanager
async def unused_port() -> AsyncIterator[int]:
    """A local port nothing listens on: a store that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


async def readyz(runtime: Runtime) -> tuple[httpx.Response, float]:
    app = FastAPI()
    app.include_router(health_router(runtime))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        started = time.monotonic()
        # Bounded here too, so a hanging probe fails this test quickly instead of after 30 s.
        response = await asyncio.wait_for(http.get("/readyz"), 10)
        return response, time.monotonic() - started


def runtime_for(namespace: Namespace, **overrides: object) -> Runtime:
    return Runtime(namespace.settings(ServiceSettings, "readiness", **overrides), {})


@pytest.mark.parametrize("store", [silent_port, unused_port], ids=["hangs", "down"])
async def test_readyz_says_503_at_once_while_the_store_does_not_answer(namespace, store):
    async with store() as port:
        runtime = runtime_for(namespace, mongo_url=f"mongodb://127.0.0.1:{port}/")
        await runtime.bus.connect()
        try:
            response, took = await readyz(runtime)
        finally:
            await runtime.stop()

    assert response.status_code == 503
    assert response.json()["checks"] == {"broker": True, "store": False}
    assert took < PROMPT


class StalledBus(Bus):
    """A broker check that never comes back."""

    async def ping(self) -> bool:
        await asyncio.Event().wait()
        return True


async def test_readyz_says_503_at_once_while_the_broker_check_hangs(namespace):
    runtime = runtime_for(namespace)
    runtime.bus = StalledBus(namespace.servers.amqp_url, exchange="unused", namespace="unused")
    try:
        response, took = await readyz(runtime)
    finally:
        await runtime.stop()

    assert response.status_code == 503
    assert response.json()["checks"] == {"broker": False, "store": True}
    assert took < PROMPT


async def test_readyz_says_200_when_both_answer(namespace):
    runtime = runtime_for(namespace)
    await runtime.bus.connect()
    try:
        response, _ = await readyz(runtime)
    finally:
        await runtime.stop()

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"broker": True, "store": True}}
