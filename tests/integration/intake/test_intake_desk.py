"""The lifecycle, conversation, procedure, automatic close and desk against real RabbitMQ
and the MongoDB-protocol store."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from credentials import headers
from factories import assigned_envelope
from intake import auto_close
from intake.adapters.close_claims import CLOSE_CLAIMS, MongoCloseClaims
from intake.bootstrap import create_app
from intake.domain.messages import MAX_MESSAGES
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import AuthorKind, Envelope, Visibility

pytestmark = pytest.mark.integration

TICKET = {
    "channel": "email",
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42"},
}
ANA = headers("agent", departments=("billing",), subject="ana")
CRM = headers("integration", subject="crm")
ROUTING = "/ticketflow/routing"
DAYS_4 = timedelta(days=4)


def intake_app(namespace: Namespace, **overrides: object) -> FastAPI:
    # Every ticket here is the same customer's same request, opened again on purpose:
    # duplicate detection (tested in test_intake_duplicates.py) would join them.
    settings = {"duplicate_detection": False, **overrides}
    return create_app(namespace.settings(IntakeSettings, "intake", **settings))


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return intake_app(namespace)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


def claims_of(app: FastAPI) -> MongoCloseClaims:
    return MongoCloseClaims(app.state.runtime.db[CLOSE_CLAIMS])


async def open_ticket(client: httpx.AsyncClient, **changes: object) -> dict:
    """A ticket as the CRM opens it, so that the CRM may read it afterwards."""
    response = await client.post("/tickets", json={**TICKET, **changes}, headers=CRM)
    assert response.status_code == 201, response.text
    return response.json()


def assigned_event(ticket_id: str, agent_id: str = "ana", sequence: int = 1) -> Envelope:
    return assigned_envelope(
        ticket_id, agent_id, sequence=sequence, agent_name="Ana Lopez", skill_level=9
    )


async def assigned_to(client, bus_probe: BusProbe, ticket_id: str, agent_id: str = "ana"):
    await bus_probe.publish(assigned_event(ticket_id, agent_id))
    async with asyncio.timeout(15):
        while (await client.get(f"/tickets/{ticket_id}")).json()["status"] != "open":
            await asyncio.sleep(0.05)


async def test_a_conversation_moves_the_ticket_and_is_recorded(client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    await assigned_to(client, bus_probe, ticket["id"])
    tid = ticket["id"]

    pending = await client.post(
        f"/tickets/{tid}/status",
        json={"status": "pending", "reason": "asked for the invoice"},
        headers=ANA,
    )
    note = await client.post(
        f"/tickets/{tid}/messages",
        json={"body": "Card ends 4242", "visibility": "internal"},
        headers=ANA,
    )
    customer = await client.post(
        f"/tickets/{tid}/customer-messages", json={"body": "Here it is"}, headers=CRM
    )
    reply = await client.post(
        f"/tickets/{tid}/messages",
        json={
            "body": "Refunded.",
            "visibility": "public",
            "in_reply_to": customer.json()["message"]["id"],
        },
        headers=ANA,
    )

    assert [r.status_code for r in (pending, note, customer, reply)] == [200, 201, 201, 201]
    assert customer.json()["ticket"]["status"] == "open"
    stored = (await client.get(f"/tickets/{tid}")).json()
    assert stored["first_response_at"] == reply.json()["at"]
    staff = (await client.get(f"/tickets/{tid}/messages", headers=ANA)).json()
    crm = (await client.get(f"/tickets/{tid}/messages", headers=CRM)).json()
    assert [m["body"] for m in staff["data"]] == ["Card ends 4242", "Here it is", "Refunded."]
    assert [m["body"] for m in crm["data"]] == ["Here it is", "Refunded."]

    changes = await bus_probe.wait_for("ticket.status_changed.v1", tid, count=3)
    assert [(e.data["previous"], e.data["status"], e.data["actor"]) for e in changes] == [
        ("new", "open", "system"),
        ("open", "pending", "user:ana"),
        ("pending", "open", "user:crm"),
    ]
    messages = await bus_probe.wait_for("ticket.message_added.v1", tid, count=3)
    assert [(m.data["visibility"], m.data["first_response"]) for m in messages] == [
        ("internal", False),
        ("public", False),
        ("public", True),
    ]
    assert messages[2].data["in_reply_to"] == customer.json()["message"]["id"]
    ours = [e for e in bus_probe.events if e.subject == tid and e.source != ROUTING]
    sequences = [e.sequence for e in ours]
    assert sorted(sequences) == list(range(1, len(sequences) + 1))


async def test_a_closed_ticket_takes_a_follow_up_linked_both_ways(app, client, bus_probe):
    ticket = await open_ticket(client)
    await client.post(f"/tickets/{ticket['id']}/resolve")
    now = datetime.now(UTC) + timedelta(days=5)
    assert await auto_close.close_due(app.state.tickets, claims_of(app), now, DAYS_4) == 1

    posted = await client.post(
        f"/tickets/{ticket['id']}/customer-messages", json={"body": "Broken again"}, headers=CRM
    )

    assert posted.status_code == 201, posted.text
    follow_up = posted.json()["ticket"]
    assert (follow_up["follow_up_of"], follow_up["status"]) == (ticket["id"], "new")
    assert (follow_up["body"], follow_up["department"]) == ("Broken again", "billing")
    old = (await client.get(f"/tickets/{ticket['id']}")).json()
    assert (old["status"], old["follow_ups"]) == ("closed", [follow_up["id"]])
    assert (await client.get(f"/tickets/{follow_up['id']}", headers=CRM)).status_code == 200
    [created] = await bus_probe.wait_for("ticket.created.v1", follow_up["id"])
    assert created.data["customer"]["email"] == "ada@example.com"


async def test_solved_tickets_close_by_themselves_once_across_processes(
    namespace: Namespace, bus_probe: BusProbe
):
    quick = {"close_solved_after_seconds": 1.0, "close_sweep_seconds": 0.1}
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(serve_in_process(intake_app(namespace, **quick)))
        await stack.enter_async_context(serve_in_process(intake_app(namespace, **quick)))
        ticket = await open_ticket(first)
        kept = await open_ticket(first)
        await first.post(f"/tickets/{ticket['id']}/resolve")

        changed = await bus_probe.wait_for("ticket.status_changed.v1", ticket["id"], count=2)
        await asyncio.sleep(1.0)  # both processes have swept several times since

        current = (await first.get(f"/tickets/{ticket['id']}")).json()
        untouched = (await first.get(f"/tickets/{kept['id']}")).json()

    # An outbox may publish an event twice (both processes' relays); consumers absorb a copy
    # by its id. What may never happen is a second close: another event, another version.
    changes = {e.id: e for e in bus_probe.of_type("ticket.status_changed.v1", ticket["id"])}
    assert [(e.data["status"], e.sequence) for e in changes.values()] == [
        ("solved", 2),
        ("closed", 4),
    ]
    closed = changed[-1]
    assert (closed.data["actor"], closed.data["reason"]) == ("system", "auto-close")
    assert current["status"] == "closed"
    assert current["closed_at"] is not None
    assert untouched["status"] == "new"


async def test_closers_racing_on_the_store_close_a_ticket_once(app, client, bus_probe):
    """Many closers at once, as processes would be: one claim wins, one close is recorded."""
    ticket = await open_ticket(client)
    await client.post(f"/tickets/{ticket['id']}/resolve")
    now = datetime.now(UTC) + timedelta(days=5)

    closed = await asyncio.gather(
        *(auto_close.close_due(app.state.tickets, claims_of(app), now, DAYS_4) for _ in range(8))
    )

    assert sum(closed) == 1
    changes = await bus_probe.wait_for("ticket.status_changed.v1", ticket["id"], count=2)
    await asyncio.sleep(0.5)
    distinct = {e.id for e in bus_probe.of_type("ticket.status_changed.v1", ticket["id"])}
    assert [e.data["status"] for e in changes] == ["solved", "closed"]
    assert len(distinct) == 2


async def test_a_stale_claim_is_taken_over_once(app):
    claims = claims_of(app)
    now = datetime.now(UTC).replace(microsecond=0)
    lease = auto_close.CLAIM_LEASE

    held = await claims.claim("TF-CLAIMED0001", 3, now - lease / 2, lease)
    refused = await claims.claim("TF-CLAIMED0001", 3, now, lease)
    other_version = await claims.claim("TF-CLAIMED0001", 4, now, lease)
    died = await claims.claim("TF-CLAIMED0002", 3, now - 2 * lease, lease)
    takeovers = await asyncio.gather(
        *(claims.claim("TF-CLAIMED0002", 3, now, lease) for _ in range(5))
    )

    assert (held, refused, other_version, died) == (True, False, True, True)
    assert sum(takeovers) == 1
    assert await claims.forget_before(now - lease) == 1


async def test_a_procedure_is_kept_by_the_category_copied_and_checked(client):
    steps = {
        "steps": [
            {"key": "verify", "label": "Verify the customer", "required": True, "macros": ["M1"]},
            {"key": "survey", "label": "Offer the survey"},
        ]
    }
    put = await client.put("/categories/billing/procedure", json=steps)
    # Editing the rule itself keeps the procedure.
    rule = await client.put(
        "/categories/billing",
        json={"required_fields": ["order_id"], "default_priority": "high", "department": "billing"},
    )
    ticket = await open_ticket(client)
    tid = ticket["id"]

    refused = await client.post(f"/tickets/{tid}/resolve")
    ticked = await client.post(f"/tickets/{tid}/procedure/verify", headers=ANA)
    view = (await client.get(f"/tickets/{tid}/view", headers=ANA)).json()
    solved = await client.post(f"/tickets/{tid}/status", json={"status": "solved"}, headers=ANA)

    assert put.status_code == 200, put.text
    assert [s["key"] for s in rule.json()["procedure"]] == ["verify", "survey"]
    assert ticket["procedure"]["total"] == 2
    assert refused.status_code == 422
    assert [p["loc"] for p in refused.json()["detail"]] == [["procedure", "verify"]]
    assert ticked.status_code == 200
    step = view["procedure"]["steps"][0]
    assert (step["done"], step["done_by"], step["macros"]) == (True, "user:ana", ["M1"])
    assert solved.status_code == 200, solved.text


async def test_unticking_a_step_is_stored(client):
    steps = {"steps": [{"key": "verify", "label": "Verify", "required": True}]}
    await client.put("/categories/billing/procedure", json=steps)
    tid = (await open_ticket(client))["id"]

    await client.post(f"/tickets/{tid}/procedure/verify", headers=ANA)
    unticked = await client.delete(f"/tickets/{tid}/procedure/verify", headers=ANA)
    stored = (await client.get(f"/tickets/{tid}")).json()["procedure"]

    assert unticked.status_code == 200
    assert (stored["done"], stored["steps"][0]["done_by"]) == (0, None)
    assert (await client.post(f"/tickets/{tid}/resolve")).status_code == 422


async def test_the_desk_shows_an_agents_tickets_from_the_store(client, bus_probe: BusProbe):
    low = await open_ticket(client, priority="low")
    urgent = await open_ticket(client, priority="urgent")
    theirs = await open_ticket(client)
    await assigned_to(client, bus_probe, low["id"])
    await assigned_to(client, bus_probe, urgent["id"])
    await assigned_to(client, bus_probe, theirs["id"], "ben")
    await client.post(f"/tickets/{low['id']}/status", json={"status": "on_hold"}, headers=ANA)

    desk = (await client.get("/desk", headers=ANA)).json()

    assert [t["id"] for t in desk["open"]] == [urgent["id"]]
    assert [t["id"] for t in desk["on_hold"]] == [low["id"]]
    assert (desk["pending"], desk["count"]) == ([], 2)
    view = (await client.get(f"/tickets/{urgent['id']}/view", headers=ANA)).json()
    assert {t["id"] for t in view["other_tickets"]} == {low["id"], theirs["id"]}


async def test_the_thread_is_bounded(app, client):
    ticket = await open_ticket(client)
    stored = await app.state.tickets.get(ticket["id"])
    for n in range(MAX_MESSAGES):
        stored.add_message(
            body=f"note {n}",
            visibility=Visibility.internal,
            author="user:ana",
            author_kind=AuthorKind.agent,
            author_name="Ana",
            now=stored.updated_at,
        )
    await app.state.tickets.save(stored, 1)

    full = await client.post(
        f"/tickets/{ticket['id']}/customer-messages", json={"body": "One more"}, headers=CRM
    )

    assert full.status_code == 409
    assert f"{MAX_MESSAGES} messages" in full.json()["detail"]


async def test_a_ticket_stored_as_queued_reads_as_new_and_can_still_be_assigned(
    app, client, bus_probe: BusProbe
):
    ticket = await open_ticket(client)
    # As intake wrote routing's queued event before the lifecycle.
    await app.state.runtime.db["tickets"].update_one(
        {"_id": ticket["id"]}, {"$set": {"status": "queued"}}
    )

    legacy = (await client.get(f"/tickets/{ticket['id']}")).json()
    await assigned_to(client, bus_probe, ticket["id"])

    assert legacy["status"] == "new"
    [opened] = await bus_probe.wait_for("ticket.status_changed.v1", ticket["id"])
    assert (opened.data["previous"], opened.data["status"]) == ("new", "open")
