"""A channel's message joins its ticket once on the real store, redelivered or not."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake import conversation
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process
from ticketflow_shared.events import Channel

pytestmark = pytest.mark.integration

TICKET = {
    "channel": "email",
    "customer": {"email": "pat@example.com", "name": "Pat"},
    "subject": "Printer on fire",
    "body": "It is on fire.",
    "category": "general",
}


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def _post(app: FastAPI, ticket_id: str, ref: str, body: str = "Still burning."):
    ticket = await app.state.tickets.get(ticket_id)
    return await conversation.post_channel_message(
        app.state.tickets,
        app.state.categories,
        ticket,
        body=body,
        channel=Channel.email,
        source_ref=ref,
    )


async def test_a_redelivered_channel_message_is_in_the_thread_once(app, client):
    created = await client.post("/tickets", json=TICKET)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    first = await _post(app, ticket_id, "<r-1@example.com>")
    again = await _post(app, ticket_id, "<r-1@example.com>")

    assert first.message is not None and again.message == first.message
    thread = (await client.get(f"/tickets/{ticket_id}/messages")).json()
    sent = [m for m in thread["data"] if m["body"] == "Still burning."]
    assert [m["channel"] for m in sent] == ["email"]


async def test_a_redelivery_after_the_close_finds_the_follow_up_it_started(app, client):
    created = await client.post("/tickets", json=TICKET)
    ticket_id = created.json()["id"]
    stored = await app.state.tickets.get(ticket_id)
    stored.status = stored.status.__class__("closed")
    await app.state.tickets.save(stored, stored.version)

    first = await _post(app, ticket_id, "<r-2@example.com>", body="It is back.")
    again = await _post(app, ticket_id, "<r-2@example.com>", body="It is back.")

    assert first.message is None and first.ticket.id != ticket_id
    assert again.ticket.id == first.ticket.id
    old = await app.state.tickets.get(ticket_id)
    assert old.follow_ups == [first.ticket.id]
