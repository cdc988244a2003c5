"""HTTP contract over in-memory repositories: status codes and 422s that name the bad field."""

import json
import math

import httpx
import pytest
from intake_fakes import TICKET


def bad_locations(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


async def test_create_returns_201_with_the_ticket(client):
    response = await client.post("/tickets", json=TICKET)

    assert response.status_code == 201
    ticket = response.json()
    assert ticket["id"].startswith("TF-")
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["assignee"] is None
    assert ticket["customer"] == {"email": "ada@example.com", "name": "Ada", "customer_id": None}
    assert [entry["event_type"] for entry in ticket["history"]] == ["ticket.created.v1"]


async def test_unknown_top_level_fields_are_named(client):
    response = await client.post("/tickets", json={**TICKET, "urgency": 9, "tags": []})
    assert sorted(bad_locations(response)) == [["body", "tags"], ["body", "urgency"]]


async def test_each_missing_required_field_is_named(client, tickets):
    response = await client.post("/tickets", json={**TICKET, "fields": {}})
    assert bad_locations(response) == [["body", "fields", "order_id"]]
    assert tickets.stored == {}


async def test_an_unknown_category_is_named(client):
    response = await client.post("/tickets", json={**TICKET, "category": "gardening"})
    assert bad_locations(response) == [["body", "category"]]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"subject": ""}, ["body", "subject"]),
        ({"subject": "x" * 201}, ["body", "subject"]),
        ({"body": "   "}, ["body", "body"]),
        ({"body": "x" * 20_001}, ["body", "body"]),
        ({"channel": "fax"}, ["body", "channel"]),
        ({"priority": "whenever"}, ["body", "priority"]),
        ({"customer": {"email": "not-an-email"}}, ["body", "customer", "email"]),
    ],
)
async def test_bad_values_are_named(client, change, location):
    response = await client.post("/tickets", json={**TICKET, **change})
    assert location in bad_locations(response)


async def test_field_values_must_be_scalars(client):
    response = await client.post(
        "/tickets", json={**TICKET, "fields": {"order_id": "42", "items": [1, 2]}}
    )
    assert any(loc[:3] == ["body", "fields", "items"] for loc in bad_locations(response))


async def post_raw(client: httpx.AsyncClient, ticket: dict) -> httpx.Response:
    """POST what httpx's `json=` refuses; json.dumps writes NaN the way Starlette reads it."""
    return await client.post(
        "/tickets", content=json.dumps(ticket), headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("value", "branch"),
    [(math.nan, "float"), (math.inf, "float"), (-math.inf, "float"), (2**70, "int")],
)
async def test_field_values_a_store_or_consumer_cannot_take_are_named(
    client, tickets, value, branch
):
    response = await post_raw(client, {**TICKET, "fields": {"order_id": "42", "x": value}})
    assert bad_locations(response) == [["body", "fields", "x", branch]]
    assert tickets.stored == {}


async def test_a_422_echoing_nan_inside_the_whole_body_still_encodes(client):
    # A missing field echoes the whole body as its input, NaN included.
    without_subject = {key: value for key, value in TICKET.items() if key != "subject"}
    response = await post_raw(client, {**without_subject, "fields": {"x": math.nan}})

    problems = {tuple(problem["loc"]): problem for problem in response.json()["detail"]}
    assert sorted(bad_locations(response)) == [
        ["body", "fields", "x", "float"],
        ["body", "subject"],
    ]
    assert problems[("body", "fields", "x", "float")]["input"] == "nan"
    assert problems[("body", "subject")]["input"]["fields"] == {"x": "nan"}


async def test_field_integers_at_the_int64_limits_are_kept(client):
    fields = {"order_id": "42", "low": -(2**63), "high": 2**63 - 1}
    response = await client.post("/tickets", json={**TICKET, "fields": fields})
    assert response.status_code == 201, response.text
    assert response.json()["fields"] == fields


async def test_scalar_field_values_keep_their_types(client):
    fields = {"order_id": "42", "count": 3, "amount": 9.5, "gift": True}
    response = await client.post("/tickets", json={**TICKET, "fields": fields})
    assert response.json()["fields"] == fields


async def test_the_category_default_priority_yields_to_an_explicit_one(client):
    response = await client.post("/tickets", json={**TICKET, "priority": "low"})
    assert response.json()["priority"] == "low"


async def test_a_keyed_retry_returns_200_and_the_same_ticket(client, tickets):
    headers = {"Idempotency-Key": "order-42"}
    first = await client.post("/tickets", json=TICKET, headers=headers)
    again = await client.post("/tickets", json=TICKET, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(tickets.published) == 1


async def test_a_key_reused_with_another_body_is_409(client):
    headers = {"Idempotency-Key": "order-42"}
    await client.post("/tickets", json=TICKET, headers=headers)
    response = await client.post("/tickets", json={**TICKET, "subject": "Other"}, headers=headers)
    assert response.status_code == 409
    assert "order-42" in response.json()["detail"]


async def test_an_unknown_ticket_is_404(client):
    assert (await client.get("/tickets/TF-NOPE")).status_code == 404
    assert (await client.post("/tickets/TF-NOPE/resolve")).status_code == 404


async def test_resolve_then_resolve_again_is_409(client):
    ticket_id = (await client.post("/tickets", json=TICKET)).json()["id"]

    resolved = await client.post(f"/tickets/{ticket_id}/resolve", json={"resolution": "Refunded"})
    again = await client.post(f"/tickets/{ticket_id}/resolve")

    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("solved", "Refunded")
    assert again.status_code == 409


async def test_resolve_rejects_unknown_fields(client):
    ticket_id = (await client.post("/tickets", json=TICKET)).json()["id"]
    response = await client.post(f"/tickets/{ticket_id}/resolve", json={"agent": "x"})
    assert bad_locations(response) == [["body", "agent"]]


async def test_list_filters_by_status_and_email_newest_first(client):
    for email in ("ada@example.com", "bob@example.com", "ada@example.com"):
        await client.post("/tickets", json={**TICKET, "customer": {"email": email}})

    listed = (await client.get("/tickets", params={"customer_email": "ADA@example.com"})).json()
    limited = (await client.get("/tickets", params={"status": "new", "limit": 1})).json()

    assert listed["count"] == 2
    assert {t["customer"]["email"] for t in listed["data"]} == {"ada@example.com"}
    assert (limited["count"], len(limited["data"])) == (3, 1)
    assert (await client.get("/tickets", params={"status": "lost"})).status_code == 422


async def test_categories_are_listed_and_replaced(client):
    put = await client.put(
        "/categories/refunds",
        json={"required_fields": ["order_id", "iban"], "default_priority": "urgent"},
    )
    listed = (await client.get("/categories")).json()
    created = await client.post(
        "/tickets", json={**TICKET, "category": "refunds", "fields": {"order_id": "1"}}
    )

    assert put.status_code == 200
    assert put.json() == {
        "name": "refunds",
        "required_fields": ["order_id", "iban"],
        "default_priority": "urgent",
        "department": None,
        "procedure": [],
        "label": None,
        "fields": [],
        "required_by_channel": {},
        "required_before_solve": [],
    }
    assert listed["count"] == 3
    assert [c["name"] for c in listed["data"]] == ["billing", "general", "refunds"]
    assert bad_locations(created) == [["body", "fields", "iban"]]


@pytest.mark.parametrize(
    ("name", "body", "location"),
    [
        ("Bad Name", {}, ["path", "name"]),
        ("ok", {"required_fields": ["a", "a"]}, ["body", "required_fields"]),
        ("ok", {"required_fields": ["a.b"]}, ["body", "required_fields", 0]),
        ("ok", {"default_priority": "asap"}, ["body", "default_priority"]),
        ("ok", {"skills": []}, ["body", "skills"]),
    ],
)
async def test_bad_category_rules_are_named(client, name, body, location):
    response = await client.put(f"/categories/{name}", json=body)
    assert location in bad_locations(response)
