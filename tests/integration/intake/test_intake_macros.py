"""Macros and ticket priority/tags changes against real RabbitMQ and the MongoDB-protocol store."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from macro_helpers import CARLA, GRACE, intake_app, open_ticket, stored

from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import TicketUpdatedV1

pytestmark = pytest.mark.integration

ASK_FOR_ORDER = {
    "title": "Ask for the order number",
    "department": "billing",
    "categories": ["billing"],
    "reply": {"body": "Hello {{ customer.name }}, which order? {{ agent.name }}"},
    "set_status": "pending",
    "set_priority": "urgent",
    "add_tags": ["waiting"],
    "remove_tags": ["new"],
}


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return intake_app(namespace)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_a_macro_is_stored_replaced_listed_and_deleted(client):
    created = await client.put("/macros/ask-order", json=ASK_FOR_ORDER)
    # Replaced by a smaller macro: nothing of the first may be left behind.
    smaller = {"title": "Order?", "add_tags": ["asked"]}
    replaced = await client.put("/macros/ask-order", json=smaller)
    read = await client.get("/macros/ask-order", headers=GRACE)
    listed = await client.get("/macros?category=billing&department=billing", headers=GRACE)
    elsewhere = await client.get("/macros?department=technical", headers=GRACE)

    assert (created.status_code, replaced.status_code, read.status_code) == (201, 200, 200)
    assert created.json()["reply"]["body"] == ASK_FOR_ORDER["reply"]["body"]
    assert read.json() == replaced.json()
    assert read.json() | {"updated_at": None} == {
        "id": "ask-order",
        "title": "Order?",
        "department": None,
        "categories": [],
        "reply": None,
        "set_status": None,
        "set_priority": None,
        "add_tags": ["asked"],
        "remove_tags": [],
        "updated_at": None,
        "updated_by": "user:test-admin",
    }
    assert [m["id"] for m in listed.json()["data"]] == ["ask-order"]
    assert [m["id"] for m in elsewhere.json()["data"]] == ["ask-order"]

    assert (await client.delete("/macros/ask-order")).status_code == 204
    assert (await client.get("/macros/ask-order")).status_code == 404


async def test_a_macro_with_a_bad_template_is_refused_and_not_stored(app, client):
    response = await client.put(
        "/macros/bad", json={**ASK_FOR_ORDER, "reply": {"body": "{{ ''.__class__.__mro__ }}"}}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reply", "body"]
    assert await app.state.runtime.db["macros"].count_documents({}) == 0


async def test_patch_stores_priority_and_tags_and_publishes_ticket_updated(
    app, client, bus_probe: BusProbe
):
    ticket = await open_ticket(client)
    path = f"/tickets/{ticket['id']}"

    changed = await client.patch(
        path, json={"priority": "urgent", "tags": ["vip", "refund"]}, headers=GRACE
    )
    same = await client.patch(path, json={"tags": ["vip", "refund"]}, headers=GRACE)
    hidden = await client.patch(path, json={"priority": "low"}, headers=CARLA)

    assert (changed.status_code, same.status_code, hidden.status_code) == (200, 200, 404)
    fetched = (await client.get(path)).json()
    assert (fetched["priority"], fetched["tags"]) == ("urgent", ["vip", "refund"])
    [envelope] = await bus_probe.wait_for("ticket.updated.v1", subject=ticket["id"])
    assert envelope.sequence == 2
    event = TicketUpdatedV1.model_validate(envelope.data)
    assert (event.priority, event.tags, event.actor) == ("urgent", ["vip", "refund"], "user:grace")
    doc = await stored(app, ticket["id"])
    assert (doc["version"], doc["tags"], doc["priority"]) == (2, ["vip", "refund"], "urgent")
    for _ in range(40):  # the relay empties the outbox just after the broker confirms
        published = await app.state.runtime.db["tickets"].find_one({"_id": ticket["id"]})
        if published.get("outbox") in (None, []):
            break
        await asyncio.sleep(0.05)
    assert published.get("outbox") in (None, [])


async def test_tags_can_be_emptied_again(app, client):
    ticket = await open_ticket(client)
    path = f"/tickets/{ticket['id']}"

    await client.patch(path, json={"tags": ["vip"]})
    emptied = await client.patch(path, json={"tags": []})

    assert emptied.json()["tags"] == []
    assert (await stored(app, ticket["id"]))["tags"] == []
    assert (await client.get(path)).json()["tags"] == []


async def test_a_preview_changes_nothing_stored(app, client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    await client.put("/macros/ask-order", json=ASK_FOR_ORDER)
    before = await stored(app, ticket["id"])

    response = await client.post(f"/tickets/{ticket['id']}/macros/ask-order/preview", headers=GRACE)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "reply": {"body": "Hello Ada, which order? grace", "visibility": "public"},
        "status": "pending",
        "priority": "urgent",
        "tags": ["waiting"],
    }
    assert await stored(app, ticket["id"]) == before


async def test_applying_a_macro_that_only_retags_saves_it_once(app, client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    await client.patch(f"/tickets/{ticket['id']}", json={"tags": ["new", "vip"]})
    retag = {
        "title": "Escalate",
        "set_priority": "urgent",
        "add_tags": ["escalated"],
        "remove_tags": ["new"],
    }
    await client.put("/macros/escalate", json=retag)

    response = await client.post(f"/tickets/{ticket['id']}/macros/escalate/apply", headers=GRACE)

    assert response.status_code == 200, response.text
    assert (response.json()["priority"], response.json()["tags"]) == (
        "urgent",
        ["vip", "escalated"],
    )
    envelopes = await bus_probe.wait_for("ticket.updated.v1", subject=ticket["id"], count=2)
    assert [e.sequence for e in envelopes] == [2, 3]
    assert (await stored(app, ticket["id"]))["version"] == 3
