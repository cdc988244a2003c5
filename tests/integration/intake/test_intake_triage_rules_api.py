"""Stored triage rules on the real servers: versioned saves, 422s naming the bad part, and
what they decide for tickets created over REST and email."""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from macro_helpers import intake_app, stored
from triage_helpers import (
    LOGIN,
    OUTAGE,
    REFUNDS,
    SLOW_BODY,
    SLOW_PATTERN,
    create,
    put_rules,
    ticket,
)

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return intake_app(namespace)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_rules_are_stored_with_a_version_that_rises_on_every_save(client):
    empty = await client.get("/triage/rules")
    first = await put_rules(client, REFUNDS, OUTAGE)
    second = await put_rules(client, OUTAGE)
    read = await client.get("/triage/rules")
    agent = await client.get("/triage/rules", headers=headers("agent", departments=("billing",)))

    assert empty.json() == {"version": 0, "rules": [], "updated_at": None, "updated_by": None}
    # In the order they apply: rank, then name.
    assert [rule["name"] for rule in first["rules"]] == ["outage", "refunds"]
    assert (first["version"], second["version"]) == (1, 2)
    assert read.json() == second
    assert read.json()["updated_by"] == "user:test-admin"
    assert read.json()["rules"][0]["then"]["tags"] == ["outage"]
    assert agent.status_code == 403


@pytest.mark.parametrize(
    ("rule", "loc"),
    [
        (
            {**OUTAGE, "when": {"kind": "regex", "pattern": "(a+)+$"}},
            ["body", 0, "when", "regex", "pattern"],
        ),
        ({**OUTAGE, "then": {"category": "nonsense"}}, ["body", 0, "then", "category"]),
        ({**OUTAGE, "then": {"department": "nowhere"}}, ["body", 0, "then", "department"]),
        ({**OUTAGE, "then": {"tags": ["Not A Tag"]}}, ["body", 0, "then", "tags"]),
        ({**OUTAGE, "when": {"kind": "colour"}}, ["body", 0, "when"]),
        (
            {**OUTAGE, "when": {"kind": "time", "from_hour": 6, "to_hour": 6}},
            ["body", 0, "when", "time", "to_hour"],
        ),
    ],
)
async def test_a_bad_rule_is_a_422_naming_the_part_and_nothing_is_stored(app, client, rule, loc):
    response = await client.put("/triage/rules", json=[rule])

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][: len(loc)] == loc
    assert (await client.get("/triage/rules")).json()["version"] == 0
    assert await app.state.runtime.db["triage"].count_documents({}) == 0


async def test_a_department_is_known_once_a_category_routes_to_it(client):
    rule = {**OUTAGE, "then": {"department": "refunds"}}
    before = await client.put("/triage/rules", json=[rule])
    category = await client.put("/categories/refund", json={"department": "refunds"})
    after = await client.put("/triage/rules", json=[rule])

    assert before.status_code == 422
    assert before.json()["detail"][0]["msg"] == (
        "unknown department 'refunds': no category routes to it"
    )
    assert category.status_code == 200, category.text
    assert after.status_code == 200, after.text
    assert after.json()["rules"][0]["then"]["department"] == "refunds"


async def test_thirty_slow_rules_still_open_the_ticket_skipping_those_past_the_budget(namespace):
    # The production deadline (the tests' default is longer): 30 time limits are 1.5 s.
    settings = namespace.settings(IntakeSettings, "intake", prefetch=1, http_deadline_seconds=1.0)
    when = {"kind": "regex", "pattern": SLOW_PATTERN}
    slow = [
        {"name": f"slow{n:02}", "rank": n, "when": when, "then": {"tags": ["slow"]}}
        for n in range(30)
    ]
    async with serve_in_process(create_app(settings)) as client:
        await put_rules(client, *slow)
        made = await create(client, ticket("Slow", SLOW_BODY))

    whys = [entry["why"] for entry in made["triage"]["skipped"]]
    assert len(whys) == 30 and "rule skipped: time budget spent" in whys
    assert made["triage"]["fired"] == [] and made["tags"] == []


async def test_other_requests_are_answered_while_a_ticket_s_slow_rules_run(namespace):
    budget = 0.5
    settings = namespace.settings(IntakeSettings, "intake", triage_rules_budget_seconds=budget)
    when = {"kind": "regex", "pattern": SLOW_PATTERN}
    slow = [
        {"name": f"slow{n:02}", "rank": n, "when": when, "then": {"tags": ["slow"]}}
        for n in range(30)
    ]
    async with serve_in_process(create_app(settings)) as client:
        await put_rules(client, *slow)
        await client.get("/categories")  # warmed: what is timed below is the request itself
        making = asyncio.create_task(create(client, ticket("Slow", SLOW_BODY)))
        answered: list[float] = []
        while not making.done():
            began = time.monotonic()
            assert (await client.get("/categories")).status_code == 200
            answered.append(time.monotonic() - began)
        made = await making

    assert len(made["triage"]["skipped"]) == 30
    # On the event loop, one of these would have waited out the whole budget.
    assert len(answered) >= 3, answered
    assert max(answered) < budget / 2, answered


async def test_a_repeated_rule_name_is_a_422(client):
    response = await client.put("/triage/rules", json=[OUTAGE, {**OUTAGE, "rank": 11}])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, "name"]


async def test_a_stored_rule_sets_category_priority_tags_and_records_why(app, client):
    await put_rules(client, OUTAGE, REFUNDS)

    made = await create(
        client,
        ticket("Everything is down", "Our shop has an outage since 9", fields={"product": "shop"}),
    )
    fetched = (await client.get(f"/tickets/{made['id']}")).json()

    assert (fetched["category"], fetched["priority"], fetched["department"]) == (
        "technical",
        "urgent",
        "technical",
    )
    assert fetched["tags"] == ["outage"]
    record = fetched["triage"]
    assert record["rules_version"] == 1
    assert record["fired"] == [{"rule": "outage", "why": ["text has 'outage'"]}]
    assert record["category"] == {
        "name": "technical",
        "by": "rules",
        "applied": True,
        "proposed": None,
        "why": None,
    }
    assert record["emotion"]["angry"] is False
    assert made["triage"] == record
    assert (await stored(app, made["id"]))["triage"]["fired"][0]["rule"] == "outage"


async def test_a_rules_department_replaces_the_categorys(client):
    await put_rules(client, REFUNDS)

    made = await create(
        client, ticket("Refund please", "Where is my refund?", fields={"order_id": "7"})
    )

    assert (made["category"], made["department"], made["priority"]) == (
        "billing",
        "accounts",
        "high",  # billing's default: the rule names no priority
    )


async def test_the_clients_category_and_priority_win_over_the_rules(client):
    await put_rules(client, OUTAGE)

    made = await create(
        client,
        ticket("Site down", "An outage", category="account", priority="low"),
    )

    assert (made["category"], made["priority"], made["tags"]) == ("account", "low", ["outage"])
    assert made["triage"]["category"]["by"] == "client"


async def test_a_category_the_ticket_cannot_take_falls_back_and_asks_a_person(client):
    # Billing needs an order id the ticket does not carry: the ticket is still taken.
    await put_rules(client, REFUNDS)

    made = await create(client, ticket("Refund", "Please refund me"))

    assert made["category"] == "general"
    assert "needs_triage" in made["tags"]
    assert made["triage"]["category"] == {
        "name": "general",
        "by": "channel",
        "applied": False,
        "proposed": "billing",
        "why": "missing fields: order_id",
    }


async def test_no_rule_and_no_category_is_the_default_category(client):
    made = await create(client, ticket("Hello", "A question about opening hours"))

    assert (made["category"], made["triage"]["fired"]) == ("general", [])


async def test_an_email_ticket_goes_through_the_rules(client):
    await put_rules(client, OUTAGE, LOGIN)
    raw = (
        b"From: Ada <ada@example.com>\r\nTo: help@example.com\r\nSubject: Locked out\r\n"
        b"Message-ID: <triage-1@example.com>\r\n\r\nMy password is not accepted.\r\n"
    )

    response = await client.post(
        "/channels/email", content=raw, headers={"Content-Type": "message/rfc822"}
    )
    made = (await client.get(f"/tickets/{response.json()['ticket_id']}")).json()

    assert response.status_code == 201, response.text
    assert (made["category"], made["priority"]) == ("account", "high")
    assert made["triage"]["fired"][0]["rule"] == "login"


async def test_a_retried_creation_records_triage_and_its_escalation_once(
    app, client, bus_probe: BusProbe
):
    await put_rules(client, OUTAGE)
    angry = ticket("Wrong again", "This is UNACCEPTABLE, the worst service ever!!")

    first = await create(client, angry, **{"Idempotency-Key": "triage-retry-1"})
    await put_rules(client, REFUNDS)  # what a retry would see now: other rules
    again = await create(client, angry, **{"Idempotency-Key": "triage-retry-1"})

    assert again["id"] == first["id"] and again["triage"] == first["triage"]
    assert first["triage"]["emotion"]["angry"] is True
    # General's default is low; the customer's anger raises it one step.
    assert first["priority"] == "normal"
    assert first["triage"]["escalation_reason"].startswith("emotion score")
    doc = await stored(app, first["id"])
    escalations = [h for h in doc["history"] if h["event_type"] == "ticket.escalated.v1"]
    assert len(escalations) == 1
    [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=first["id"])
    assert (escalated.data["source"], escalated.data["trigger"]) == ("intake", "emotion")
    assert escalated.data["priority"] == "normal"
    await bus_probe.wait_for("ticket.created.v1", subject=first["id"])
    assert len(bus_probe.of_type("ticket.created.v1", first["id"])) == 1
    assert len(bus_probe.of_type("ticket.escalated.v1", first["id"])) == 1


def chat(event_id: str, text: str) -> dict:
    return {
        "event_id": event_id,
        "conversation_id": "triage-conv",
        "workspace": "acme",
        "user": {"id": "U-9", "name": "Pat"},
        "text": text,
        "sent_at": "2026-12-02T10:00:00Z",
    }


async def test_a_chat_ticket_goes_through_the_rules_and_an_angry_redelivery_escalates_once(
    app, client, bus_probe: BusProbe
):
    await put_rules(client, LOGIN)

    opened = await client.post("/channels/chat", json=chat("t-1", "I cannot log in, password?"))
    angry = chat("t-2", "Still nothing. UNACCEPTABLE, the worst!!")
    first = await client.post("/channels/chat", json=angry)
    again = await client.post("/channels/chat", json=angry)

    assert (opened.status_code, first.status_code, again.status_code) == (201, 201, 200)
    ticket_id = opened.json()["ticket_id"]
    made = (await client.get(f"/tickets/{ticket_id}")).json()
    assert (made["channel"], made["category"]) == ("chat", "account")
    assert made["priority"] == "urgent"  # the rule's high, one step up for the anger
    doc = await stored(app, ticket_id)
    assert [h["event_type"] for h in doc["history"]].count("ticket.escalated.v1") == 1
    await bus_probe.wait_for("ticket.escalated.v1", subject=ticket_id)
    assert len(bus_probe.of_type("ticket.escalated.v1", ticket_id)) == 1
