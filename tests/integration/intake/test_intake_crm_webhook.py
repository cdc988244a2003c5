"""A CRM pushes customers and tickets carrying its ids; a redelivery changes nothing."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration


def push(event_id: str, **ticket: object) -> dict:
    body = {
        "event_id": event_id,
        "system": "SalesCRM",
        "customer": {
            "external_id": "0031",
            "name": "Pat Lee",
            "tier": "gold",
            "email": "pat@example.com",
        },
    }
    if ticket:
        body["ticket"] = {
            "case_id": "5001",
            "subject": "Invoice wrong",
            "body": "The March invoice lists two seats.",
            "category": "billing",
            "fields": {"order_id": "A-7"},
            **ticket,
        }
    return body


@pytest.fixture
async def client(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(namespace.settings(IntakeSettings, "intake"))
    async with serve_in_process(app) as http:
        yield http


async def test_a_pushed_ticket_carries_the_crm_ids_and_is_made_once(
    client, bus_probe: BusProbe
) -> None:
    first = await client.post("/channels/crm", json=push("evt-1", priority="urgent"))
    assert first.status_code == 201, first.text
    again = await client.post("/channels/crm", json=push("evt-1", priority="urgent"))
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}

    ticket = (await client.get(f"/tickets/{first.json()['ticket_id']}")).json()
    assert ticket["channel"] == "crm"
    assert ticket["external_refs"] == {"salescrm": "5001"}
    assert ticket["customer_tier"] == "gold"
    assert ticket["customer"]["customer_id"] == first.json()["customer_id"]
    [created] = await bus_probe.wait_for("ticket.created.v1", subject=ticket["id"])
    assert created.data["external_refs"] == {"salescrm": "5001"}
    assert created.data["customer_tier"] == "gold"

    found = await client.get("/customers?external=salescrm:0031")
    assert found.json()["data"] == [first.json()["customer_id"]]
    profile = (await client.get(f"/customers/{first.json()['customer_id']}")).json()
    assert [i["ticket_id"] for i in profile["timeline"]["data"]] == [ticket["id"]]


async def test_a_push_without_a_ticket_upserts_the_customer(client) -> None:
    created = await client.post("/channels/crm", json=push("evt-2"))
    assert created.status_code == 201
    updated = await client.post("/channels/crm", json=push("evt-3"))
    assert updated.status_code == 200
    assert updated.json() == {**created.json()}
    assert created.json()["ticket_id"] is None


async def test_bad_pushes_are_refused_and_nothing_is_made(client) -> None:
    unknown = await client.post("/channels/crm", json=push("evt-4", category="nope"))
    assert unknown.status_code == 422
    assert (await client.get("/customers?external=salescrm:0031")).json()["count"] == 0
    no_email = push("evt-5", subject="x")
    no_email["customer"] = {"external_id": "0099"}
    refused = await client.post("/channels/crm", json=no_email)
    assert refused.status_code == 422
    await client.post(
        "/tickets",
        json={
            "channel": "web",
            "customer": {"email": "sam@example.com"},
            "subject": "Hi",
            "body": "Hello",
            "category": "general",
        },
    )
    clash = push("evt-6")
    clash["customer"]["email"] = "sam@example.com"
    await client.post("/channels/crm", json=push("evt-7"))
    assert (await client.post("/channels/crm", json=clash)).status_code == 409
    assert (await client.post("/channels/crm", json={"event_id": "e"})).status_code == 422
