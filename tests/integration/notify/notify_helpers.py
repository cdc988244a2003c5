"""Builders and probes the notify integration tests share: events, the app, the mail catcher."""

import asyncio
import logging
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from factories import created_envelope
from notify.bootstrap import create_app
from notify.settings import NotifySettings
from support import Namespace, serve_in_process
from ticketflow_shared.events import (
    AuthorKind,
    Channel,
    Envelope,
    Priority,
    TicketAssignedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    Visibility,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def new_ticket() -> tuple[str, str]:
    """A ticket id and a customer address no other test uses."""
    token = uuid.uuid4().hex[:12]
    return f"TF-{token}", f"cust-{token}@example.com"


def created(ticket_id: str, email: str) -> Envelope:
    return created_envelope(
        ticket_id,
        channel=Channel.email,
        email=email,
        subject="Invoice charged twice",
        body="I was charged twice for January.",
        priority=Priority.high,
        created_at=NOW,
    )


def assigned(ticket_id: str) -> Envelope:
    payload = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id="ana",
        agent_name="Ana Lopez",
        department="billing",
        skill="billing",
        skill_level=9,
        assigned_at=NOW,
    )
    return Envelope.wrap(payload, source="/ticketflow/routing", subject=ticket_id)


def resolved(ticket_id: str) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, resolution="Refunded.", resolved_at=NOW)
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id)


@asynccontextmanager
async def running_notify(
    namespace: Namespace, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    settings = namespace.settings(NotifySettings, "notify", **overrides)
    async with serve_in_process(create_app(settings)) as client:
        yield client


class Mailbox:
    """One recipient's messages at the SMTP catcher, read over its HTTP API."""

    def __init__(self, api: str, address: str) -> None:
        self.api = api
        self.address = address

    async def messages(self) -> list[dict]:
        async with httpx.AsyncClient(base_url=self.api, timeout=5) as client:
            response = await client.get("/api/messages", params={"to": self.address})
            response.raise_for_status()
            return response.json()

    async def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        return await poll(self.messages, lambda found: len(found) >= count, timeout)


async def poll(
    read: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 20
) -> T:
    """Read until `done` holds, or fail the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up after {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)


def logged(caplog: pytest.LogCaptureFixture, *fragments: str) -> list[logging.LogRecord]:
    """Captured records whose message contains every fragment."""
    return [r for r in caplog.records if all(f in r.getMessage() for f in fragments)]


async def wait_logged(caplog: pytest.LogCaptureFixture, *fragments: str) -> logging.LogRecord:
    async def read() -> list[logging.LogRecord]:
        return logged(caplog, *fragments)

    return (await poll(read, bool))[0]


def message_added(
    ticket_id: str,
    body: str,
    *,
    visibility: Visibility = Visibility.public,
    author_kind: AuthorKind = AuthorKind.agent,
) -> Envelope:
    payload = TicketMessageAddedV1(
        ticket_id=ticket_id,
        message_id=f"M-{uuid.uuid4().hex[:24]}",
        author="user:ana" if author_kind is AuthorKind.agent else "key:crm",
        author_kind=author_kind,
        author_name="Ana Lopez" if author_kind is AuthorKind.agent else None,
        visibility=visibility,
        body=body,
        department="billing",
        agent_id="ana",
        added_at=NOW,
    )
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id)


def status_changed(
    ticket_id: str, status: TicketStatus, previous: TicketStatus = TicketStatus.open
) -> Envelope:
    payload = TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=status,
        previous=previous,
        actor="user:ana",
        agent_id="ana",
        department="billing",
        changed_at=NOW,
    )
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id)


@dataclass(frozen=True)
class Catcher:
    smtp_port: int
    api: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def own_catcher(store: Path, *options: str) -> AsyncIterator[Catcher]:
    """This checkout's SMTP catcher (deploy/smtp_catcher.py) on free ports, given `options` as
    well: the shared one may run an older copy, without the threading headers in its API."""
    catcher = Catcher(smtp_port=_free_port(), api=f"http://127.0.0.1:{_free_port()}")
    api_port = catcher.api.rsplit(":", 1)[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "deploy" / "smtp_catcher.py"),
        *("--host", "127.0.0.1", "--smtp-port", str(catcher.smtp_port)),
        *("--api-port", api_port, "--store", str(store)),
        *options,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:

        async def answers() -> bool:
            try:
                async with httpx.AsyncClient(base_url=catcher.api, timeout=1) as client:
                    return (await client.get("/api/messages")).status_code == 200
            except httpx.TransportError:
                return False

        await poll(answers, bool, timeout=20)
        yield catcher
    finally:
        process.terminate()
        await process.wait()
