"""A customer across channels: the CRM's upsert, the profile and timeline, lookups, scopes."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration


def ticket(email: str, subject: str, category: str = "general") -> dict:
    fields = {"order_id": "42"} if category == "billing" else {}
    return {
        "channel": "web",
        "customer": {"email": email, "name": "Pat"},
        "subject": subject,
        "body": "Please help.",
        "category": category,
        "fields": fields,
    }


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    # The tickets are placeholders of one customer's timeline ("Please help."): duplicate
    # detection (tested in test_intake_duplicates.py) would join them.
    return create_app(namespace.settings(IntakeSettings, "intake", duplicate_detection=False))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_the_crm_upsert_creates_then_updates_one_customer(app, client) -> None:
    record = {
        "name": "Pat Lee",
        "tier": "gold",
        "company": "Acme",
        "owner": "sam",
        "email": "pat@example.com",
        "phone": "+44 20 7946 0958",
    }
    created = await client.put("/customers/by-external-id/SalesCRM/0031", json=record)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    assert created.json()["external_ids"] == ["salescrm:0031"]

    updated = await client.put("/customers/by-external-id/salescrm/0031", json={"tier": "platinum"})
    assert updated.status_code == 200
    assert updated.json()["id"] == customer_id
    assert (updated.json()["tier"], updated.json()["company"]) == ("platinum", "Acme")

    made = await client.post("/tickets", json=ticket("PAT@example.com", "Parcel late"))
    assert made.json()["customer"]["customer_id"] == customer_id
    for query in ("email=pat@example.com", "phone=0044 20 7946 0958", "external=salescrm:0031"):
        found = await client.get(f"/customers?{query}")
        assert found.json() == {"data": [customer_id], "count": 1}, query

    profile = (await client.get(f"/customers/{customer_id}")).json()
    assert (profile["name"], profile["tier"], profile["phone"]) == (
        "Pat Lee",
        "platinum",
        "+44 20 7946 0958",
    )
    raw = await app.state.customers.profiles.collection.find_one({"_id": customer_id})
    assert raw["tier"] == "platinum"
    assert "pat@example.com" not in str(raw) and "7946" not in str(raw)
    [item] = profile["timeline"]["data"]
    assert (item["ticket_id"], item["subject"], item["channel"]) == (
        made.json()["id"],
        "Parcel late",
        "web",
    )


async def test_ids_of_two_customers_are_refused_and_nothing_is_stored(client) -> None:
    pat = await client.post("/tickets", json=ticket("pat@example.com", "One"))
    pat_id = pat.json()["customer"]["customer_id"]
    sam = await client.put("/customers/by-external-id/crm/sam-1", json={"name": "Sam"})
    sam_id = sam.json()["id"]

    clash = await client.put(
        "/customers/by-external-id/crm/sam-1",
        json={"name": "Sam Two", "email": "pat@example.com", "phone": "+12025550123"},
    )
    assert clash.status_code == 409
    assert pat_id in clash.json()["detail"] and sam_id in clash.json()["detail"]
    after = (await client.get(f"/customers/{sam_id}")).json()
    assert (after["name"], after["email"], after["phone"]) == ("Sam", None, None)
    nobody = await client.get("/customers?phone=%2B12025550123")
    assert nobody.json() == {"data": [], "count": 0}


async def test_the_timeline_pages_newest_first_with_a_cursor(client) -> None:
    made = [
        (await client.post("/tickets", json=ticket("kim@example.com", f"Issue {n}"))).json()
        for n in range(3)
    ]
    customer_id = made[0]["customer"]["customer_id"]
    first = (await client.get(f"/customers/{customer_id}?limit=2")).json()["timeline"]
    assert [i["subject"] for i in first["data"]] == ["Issue 2", "Issue 1"]
    rest = (
        await client.get(f"/customers/{customer_id}?limit=2&cursor={first['next_cursor']}")
    ).json()["timeline"]
    assert ([i["subject"] for i in rest["data"]], rest["next_cursor"]) == (["Issue 0"], None)

    bad = await client.get(f"/customers/{customer_id}?cursor=not-ours")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert (await client.get("/customers/C-000000000000000000000000")).status_code == 404
    assert (await client.get("/customers?email=x&phone=y")).status_code == 422


async def test_a_department_sees_only_its_tickets_on_the_timeline(app, client) -> None:
    await client.post("/tickets", json=ticket("lee@example.com", "Refund", "billing"))
    other = await client.post("/tickets", json=ticket("lee@example.com", "Question"))
    customer_id = other.json()["customer"]["customer_id"]
    billing = headers("agent", departments=("billing",), subject="agent-b")
    seen = await client.get(f"/customers/{customer_id}", headers=billing)
    assert seen.status_code == 200
    assert [i["subject"] for i in seen.json()["timeline"]["data"]] == ["Refund"]


async def test_the_crm_upsert_refuses_bad_input_and_other_roles(client) -> None:
    bad_id = await client.put("/customers/by-external-id/crm/a b", json={})
    assert bad_id.status_code == 422
    assert bad_id.json()["detail"][0]["loc"] == ["path", "external_id"]
    bad_system = await client.put("/customers/by-external-id/c:rm/x", json={})
    assert bad_system.status_code == 422
    assert bad_system.json()["detail"][0]["loc"] == ["path", "system"]
    bad_phone = await client.put("/customers/by-external-id/crm/x", json={"phone": "12"})
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"] == ["body", "phone"]
    extra = await client.put("/customers/by-external-id/crm/x", json={"colour": "red"})
    assert extra.status_code == 422
    agent = headers("agent", departments=("billing",))
    refused = await client.put("/customers/by-external-id/crm/x", json={}, headers=agent)
    assert refused.status_code == 403
