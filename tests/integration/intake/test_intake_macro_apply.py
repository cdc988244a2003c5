"""Applying a macro against the real servers: one save of the ticket, its events in order.

These need the lifecycle's `Ticket.change_status` and `Ticket.add_message`, written on
another branch: they fail until both are merged.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from macro_helpers import GRACE, assign, intake_app, open_ticket, stored

from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import TicketMessageAddedV1, TicketStatusChangedV1

pytestmark = pytest.mark.integration

ASK_FOR_ORDER = {
    "title": "Ask for the order number",
    "department": "billing",
    "reply": {"body": "Hello {{ customer.name }}, which order is it? {{ agent.id }}"},
    "set_status": "pending",
    "set_priority": "urgent",
    "add_tags": ["waiting"],
}


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return intake_app(namespace)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_apply_posts_the_reply_and_sets_pending_in_one_save(
    app, client, bus_probe: BusProbe, monkeypatch
):
    ticket = await assign(client, bus_probe, (await open_ticket(client))["id"])
    await client.put("/macros/ask-order", json=ASK_FOR_ORDER)
    repository = app.state.tickets
    saves: list[int] = []
    save = repository.save

    async def counted(changed, expected_version: int) -> None:
        saves.append(expected_version)
        await save(changed, expected_version)

    monkeypatch.setattr(repository, "save", counted)
    version = (await stored(app, ticket["id"]))["version"]

    response = await client.post(f"/tickets/{ticket['id']}/macros/ask-order/apply", headers=GRACE)

    assert response.status_code == 200, response.text
    applied = response.json()
    assert (applied["status"], applied["priority"], applied["tags"]) == (
        "pending",
        "urgent",
        ["waiting"],
    )
    assert saves == [version]
    types = ["ticket.updated.v1", "ticket.message_added.v1", "ticket.status_changed.v1"]

    # The assignment before the apply recorded a status change of its own.
    await bus_probe.wait_for("ticket.status_changed.v1", subject=ticket["id"], count=2)
    for event_type in types[:2]:
        await bus_probe.wait_for(event_type, subject=ticket["id"])
    mine = [
        e
        for e in bus_probe.events
        if e.subject == ticket["id"] and e.type in types and e.sequence > version
    ]
    assert [e.type for e in mine] == types
    assert [e.sequence for e in mine] == [version + 1, version + 2, version + 3]
    message = TicketMessageAddedV1.model_validate(mine[1].data)
    assert message.body == "Hello Ada, which order is it? grace"
    assert (message.author, message.agent_id, message.visibility) == (
        "user:grace",
        "grace",
        "public",
    )
    status = TicketStatusChangedV1.model_validate(mine[2].data)
    assert (status.previous, status.status) == ("open", "pending")
    doc = await stored(app, ticket["id"])
    assert doc["version"] == version + 3
    assert doc.get("outbox") in (None, [])
