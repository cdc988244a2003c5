"""A CRM pushes customers and tickets carrying its ids; a redelivery changes nothing."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from triage_helpers import REFUNDS, put_rules

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


def without_category(event_id: str, **ticket: object) -> dict:
    """A push whose ticket names no category (unless `ticket` sets one, null included)."""
    body = push(event_id, case_id="5001", **ticket)
    if "category" not in ticket:
        del body["ticket"]["category"]
    return body


async def test_a_push_without_a_category_is_triaged_by_the_stored_rules(
    client, bus_probe: BusProbe
) -> None:
    await put_rules(client, REFUNDS)
    made = await client.post(
        "/channels/crm", json=without_category("evt-8", subject="Refund for the March invoice")
    )
    assert made.status_code == 201, made.text

    ticket = (await client.get(f"/tickets/{made.json()['ticket_id']}")).json()
    assert (ticket["category"], ticket["department"]) == ("billing", "accounts")
    assert ticket["tags"] == ["refund"]
    assert ticket["triage"]["category"]["by"] == "rules"
    assert ticket["triage"]["fired"][0]["rule"] == "refunds"
    assert ticket["external_refs"] == {"salescrm": "5001"}
    [created] = await bus_probe.wait_for("ticket.created.v1", subject=ticket["id"])
    assert created.data["category"] == "billing"


async def test_a_push_no_rule_decides_gets_the_default_category(client) -> None:
    await put_rules(client, REFUNDS)
    made = await client.post("/channels/crm", json=without_category("evt-9", category=None))
    assert made.status_code == 201, made.text
    ticket = (await client.get(f"/tickets/{made.json()['ticket_id']}")).json()
    assert (ticket["category"], ticket["priority"]) == ("general", "low")
    assert ticket["triage"]["category"]["by"] == "channel"
    assert ticket["triage"]["fired"] == []


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"category": 7}, ["body", "ticket", "category"]),
        ({"category": "nope"}, ["body", "ticket", "category"]),
        ({"category": ""}, ["body", "ticket", "category"]),
        ({"subject": None}, ["body", "ticket", "subject"]),
        ({"colour": "red"}, ["body", "ticket", "colour"]),
    ],
)
async def test_a_bad_ticket_in_a_push_is_a_422_naming_it_and_nothing_is_stored(
    client, change, loc
) -> None:
    body = without_category("evt-10")
    body["ticket"] = {k: v for k, v in {**body["ticket"], **change}.items() if v is not None}
    refused = await client.post("/channels/crm", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"][: len(loc)] == loc
    assert (await client.get("/customers?external=salescrm:0031")).json()["count"] == 0


async def test_a_refused_push_names_the_part_of_the_push_that_is_wrong(client) -> None:
    lacking = push("evt-60", fields={})
    no_address = push("evt-61", subject="Where is my order")
    no_address["customer"] = {"external_id": "0077", "name": "Nobody Known"}
    bad_phone = push("evt-62")
    bad_phone["customer"]["phone"] = "12"
    returns = {"fields": [{"name": "reply_to", "label": "Other address", "kind": "email"}]}
    assert (await client.put("/categories/returns", json=returns)).status_code in (200, 201)
    bad_value = push("evt-63", category="returns", fields={"reply_to": "not an address"})
    cases = [
        (lacking, ["body", "ticket", "fields", "order_id"]),
        (no_address, ["body", "customer", "email"]),
        (bad_phone, ["body", "customer", "phone"]),
        (bad_value, ["body", "ticket", "fields", "reply_to"]),
    ]
    for body, loc in cases:
        refused = await client.post("/channels/crm", json=body)
        assert refused.status_code == 422, refused.text
        assert [p["loc"] for p in refused.json()["detail"]] == [loc], body["event_id"]
    assert (await client.get("/customers?external=salescrm:0031")).json()["count"] == 0


async def test_a_push_refused_for_its_ticket_stores_nothing_of_its_customer(client) -> None:
    # billing requires order_id: the ticket is refused, and so is the customer with it.
    lacking = push("evt-20", fields={})
    refused = await client.post("/channels/crm", json=lacking)
    assert refused.status_code == 422, refused.text
    assert "order_id" in refused.text
    assert (await client.get("/customers?external=salescrm:0031")).json()["count"] == 0

    no_address = push("evt-21", subject="Where is my order")
    no_address["customer"] = {"external_id": "0077", "name": "Nobody Known", "tier": "gold"}
    refused = await client.post("/channels/crm", json=no_address)
    assert refused.status_code == 422, refused.text
    assert "email" in refused.json()["detail"][0]["msg"]
    assert (await client.get("/customers?external=salescrm:0077")).json()["count"] == 0

    # On record already: a later push may leave the address out.
    known = await client.post("/channels/crm", json=push("evt-22", subject="Invoice wrong"))
    assert known.status_code == 201, known.text
    later = push(
        "evt-23", case_id="5002", subject="Renewal contract", body="Please send the renewal PDF."
    )
    later["customer"] = {"external_id": "0031", "name": "Pat Lee"}
    taken = await client.post("/channels/crm", json=later)
    assert taken.status_code == 201, taken.text
    assert taken.json()["customer_id"] == known.json()["customer_id"]


async def test_a_redelivered_push_changes_nothing_and_a_reused_id_is_refused(client) -> None:
    first = await client.post("/channels/crm", json=push("evt-30"))
    newer = push("evt-31")
    newer["customer"]["tier"] = "platinum"
    assert (await client.post("/channels/crm", json=newer)).status_code == 200
    redelivered = await client.post("/channels/crm", json=push("evt-30"))
    assert redelivered.status_code == 200, redelivered.text
    assert redelivered.json() == {**first.json(), "replayed": True}
    customer_id = first.json()["customer_id"]
    assert (await client.get(f"/customers/{customer_id}")).json()["tier"] == "platinum"

    reused = push("evt-30")
    reused["customer"]["tier"] = "bronze"
    refused = await client.post("/channels/crm", json=reused)
    assert refused.status_code == 409, refused.text
    assert "evt-30" in refused.json()["detail"]
    assert (await client.get(f"/customers/{customer_id}")).json()["tier"] == "platinum"


async def test_a_refused_push_may_come_again_corrected_under_its_id(client) -> None:
    lacking = push("evt-40", fields={})
    assert (await client.post("/channels/crm", json=lacking)).status_code == 422
    corrected = await client.post("/channels/crm", json=push("evt-40", subject="Invoice wrong"))
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["ticket_id"]


async def test_a_push_joined_to_an_open_ticket_keeps_its_case_to_the_split(client) -> None:
    opened = await client.post(
        "/tickets",
        json={
            "channel": "web",
            "customer": {"email": "pat@example.com", "name": "Pat Lee"},
            "subject": "Invoice wrong",
            "body": "The March invoice lists two seats.",
            "category": "billing",
            "fields": {"order_id": "A-7"},
        },
    )
    assert opened.status_code == 201, opened.text
    joined = await client.post("/channels/crm", json=push("evt-50", case_id="5009"))
    assert joined.status_code == 200, joined.text
    ticket_id = opened.json()["id"]
    assert joined.json()["ticket_id"] == ticket_id
    ticket = (await client.get(f"/tickets/{ticket_id}")).json()
    assert ticket["external_refs"] == {"salescrm": "5009"}
    [message] = (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]
    assert (message["channel"], message["external_refs"]) == ("crm", {"salescrm": "5009"})

    split = await client.post(f"/tickets/{ticket_id}/messages/{message['id']}/split")
    assert split.status_code == 201, split.text
    new = split.json()["ticket"]
    assert (new["channel"], new["external_refs"]) == ("crm", {"salescrm": "5009"})
