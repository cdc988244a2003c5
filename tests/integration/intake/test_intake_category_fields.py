"""Fields required per channel and before solving, and an agent filling them in, against
the real store: rules saved and read back, creation, every path to solved, PATCH fields."""

from collections.abc import AsyncIterator

import httpx
import pytest

from intake.bootstrap import CATEGORIES, create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

RETURNS = {
    "label": "Returns",
    "required_fields": ["order_id"],
    "department": "billing",
    "fields": [
        {"name": "order_id", "label": "Order number", "max_length": 20},
        {"name": "reason", "label": "What is wrong", "kind": "long_text", "max_length": 500},
        {"name": "refund_ref", "label": "Refund reference"},
    ],
    "required_by_channel": {"web": ["reason"], "email": []},
    "required_before_solve": ["refund_ref"],
}
TICKET = {
    "channel": "web",
    "customer": {"email": "ada@example.com"},
    "subject": "Broken on arrival",
    "body": "The mug arrived in pieces.",
    "category": "returns",
    "fields": {"order_id": "42", "reason": "broken"},
}


@pytest.fixture
async def client(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(namespace.settings(IntakeSettings, "intake"))
    async with serve_in_process(app) as http:
        assert (await http.put("/categories/returns", json=RETURNS)).status_code == 200
        http.app = app  # type: ignore[attr-defined]
        yield http


def locations(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


async def opened(client: httpx.AsyncClient, **changes: object) -> dict:
    response = await client.post("/tickets", json={**TICKET, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_rule_is_stored_and_read_back_with_its_new_keys(client):
    [rule] = [c for c in (await client.get("/categories")).json()["data"] if c["name"] == "returns"]
    assert rule["label"] == "Returns"
    assert rule["required_by_channel"] == {"web": ["reason"], "email": []}
    assert rule["required_before_solve"] == ["refund_ref"]
    assert [(f["name"], f["kind"], f["max_length"]) for f in rule["fields"]] == [
        ("order_id", "text", 20),
        ("reason", "long_text", 500),
        ("refund_ref", "text", 200),
    ]


async def test_an_unknown_channel_and_undeclared_fields_are_named_and_nothing_is_saved(client):
    bad = {**RETURNS, "required_by_channel": {"fax": ["reason"]}}
    assert ["body", "required_by_channel", "fax", "[key]"] in locations(
        await client.put("/categories/returns", json=bad)
    )
    bad = {**RETURNS, "required_by_channel": {"web": ["ghost"]}, "required_before_solve": ["x"]}
    assert locations(await client.put("/categories/returns", json=bad)) == [
        ["body", "required_before_solve", 0],
        ["body", "required_by_channel", "web", 0],
    ]
    [rule] = [c for c in (await client.get("/categories")).json()["data"] if c["name"] == "returns"]
    assert rule["required_by_channel"] == {"web": ["reason"], "email": []}


async def test_creation_names_every_missing_field_of_the_channel(client):
    response = await client.post("/tickets", json={**TICKET, "fields": {}})
    assert locations(response) == [["body", "fields", "order_id"], ["body", "fields", "reason"]]
    # Email needs only the general list.
    await opened(client, channel="email", fields={"order_id": "42"})


async def test_a_declared_fields_length_is_checked_on_creation(client):
    response = await client.post(
        "/tickets", json={**TICKET, "fields": {**TICKET["fields"], "order_id": "9" * 21}}
    )
    assert locations(response) == [["body", "fields", "order_id"]]


async def test_every_path_to_solved_is_refused_until_an_agent_fills_the_field(client):
    ticket = await opened(client)
    tid = ticket["id"]
    refused = await client.post(f"/tickets/{tid}/resolve", json={"resolution": "refunded"})
    assert locations(refused) == [["fields", "refund_ref"]]
    refused = await client.post(f"/tickets/{tid}/status", json={"status": "solved"})
    assert locations(refused) == [["fields", "refund_ref"]]

    patched = await client.patch(f"/tickets/{tid}", json={"fields": {"refund_ref": "R-77"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["fields"] == {"order_id": "42", "reason": "broken", "refund_ref": "R-77"}
    # Read back from the store: the save rewrote the sealed fields.
    stored = (await client.get(f"/tickets/{tid}")).json()
    assert stored["fields"]["refund_ref"] == "R-77"
    assert stored["history"][-1]["event_type"] == "ticket.updated.v1"

    solved = await client.post(f"/tickets/{tid}/resolve", json={"resolution": "refunded"})
    assert solved.status_code == 200, solved.text
    assert solved.json()["status"] == "solved"


async def test_patch_fields_are_validated_and_an_empty_patch_is_refused(client):
    tid = (await opened(client))["id"]
    assert ["body", "fields", "bad.name", "[key]"] in locations(
        await client.patch(f"/tickets/{tid}", json={"fields": {"bad.name": "x"}})
    )
    assert ["body", "fields", "refund_ref", "str"] in locations(
        await client.patch(f"/tickets/{tid}", json={"fields": {"refund_ref": "x" * 2001}})
    )
    assert locations(await client.patch(f"/tickets/{tid}", json={"fields": {}})) == [["body"]]


async def test_a_rule_and_a_ticket_stored_before_these_keys_keep_working(client):
    db = client.app.state.runtime.db  # type: ignore[attr-defined]
    await db[CATEGORIES].insert_one(
        {"_id": "legacy", "required_fields": ["order_id"], "default_priority": None}
    )
    [legacy] = [
        c for c in (await client.get("/categories")).json()["data"] if c["name"] == "legacy"
    ]
    assert (legacy["required_by_channel"], legacy["required_before_solve"]) == ({}, [])
    ticket = await opened(client, category="legacy", fields={"order_id": "1"})
    await db["tickets"].update_one({"_id": ticket["id"]}, {"$unset": {"required_before_solve": ""}})
    solved = await client.post(f"/tickets/{ticket['id']}/resolve")
    assert solved.status_code == 200, solved.text
