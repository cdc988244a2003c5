"""Customer data at rest: what a raw read of intake's, notify's and reporting's stores shows.

A ticket goes in through intake's API; notify and reporting take its events from the bus. Every
document of the three databases is then dumped as BSON and searched for the customer's
address, name, subject, body and field values: none may be there in clear text, while each API
still answers with them.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import bson
import httpx
import pytest
from pymongo import AsyncMongoClient

from intake.bootstrap import create_app as intake_app
from intake.settings import IntakeSettings
from notify.bootstrap import create_app as notify_app
from notify.settings import NotifySettings
from reporting.bootstrap import create_app as reporting_app
from reporting.settings import ReportingSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

SERVICES = ("intake", "notify", "reporting")
T0 = datetime(2024, 11, 4, 8, 0, tzinfo=UTC)


def secrets_of(token: str) -> dict[str, str]:
    """One customer's data, each piece unique to this test."""
    return {
        "email": f"zelda.{token}@example.com",
        "name": f"Zelda Quorn {token}",
        "subject": f"Parcel {token} never arrived",
        "body": f"My parcel {token} is lost somewhere.",
        "order_id": f"ORD-{token}",
        "message": f"Still no parcel {token}, write to me",
        "reply": f"We resent parcel {token} today",
        "note": f"Customer {token} called twice",
    }


def ticket_body(secret: dict[str, str]) -> dict:
    return {
        "channel": "web",
        "customer": {"email": secret["email"], "name": secret["name"]},
        "subject": secret["subject"],
        "body": secret["body"],
        "category": "billing",
        "fields": {"order_id": secret["order_id"]},
    }


async def raw_dump(namespace: Namespace, service: str) -> dict[str, list[bytes]]:
    """Every document of one service's database, as the BSON the store holds."""
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        db = client[namespace.database(service)]
        return {
            name: [bson.encode(doc) async for doc in db[name].find({})]
            for name in await db.list_collection_names()
        }
    finally:
        await client.close()


async def clear_text_in(namespace: Namespace, secret: dict[str, str]) -> list[str]:
    """`service.collection: piece` for every piece of `secret` found in clear text."""
    found = []
    for service in SERVICES:
        for collection, docs in (await raw_dump(namespace, service)).items():
            for raw in docs:
                for piece, text in secret.items():
                    for form in {text, text.lower()}:
                        if form.encode() in raw:
                            found.append(f"{service}.{collection}: {piece}")
    return found


@pytest.fixture
async def platform(namespace: Namespace) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        clients = {
            "intake": await stack.enter_async_context(
                serve_in_process(intake_app(namespace.settings(IntakeSettings, "intake")))
            ),
            "notify": await stack.enter_async_context(
                serve_in_process(notify_app(namespace.settings(NotifySettings, "notify")))
            ),
            "reporting": await stack.enter_async_context(
                serve_in_process(reporting_app(namespace.settings(ReportingSettings, "reporting")))
            ),
        }
        yield clients


async def test_a_raw_read_of_every_store_shows_no_customer_data(
    namespace: Namespace, platform: dict[str, httpx.AsyncClient], bus_probe: BusProbe
):
    secret = secrets_of(uuid.uuid4().hex[:10])
    created = await platform["intake"].post("/tickets", json=ticket_body(secret))
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    await post_conversation(platform["intake"], ticket_id, secret)
    # Notify emails the ticket's receipt and the public reply (never the internal note).
    await bus_probe.wait_for("notification.sent.v1", ticket_id, count=2)
    await bus_probe.wait_for("ticket.message_added.v1", ticket_id, count=3)
    await reported_notified(platform["reporting"], ticket_id)

    assert await clear_text_in(namespace, secret) == []

    ticket = (await platform["intake"].get(f"/tickets/{ticket_id}")).json()
    assert ticket["customer"] == {
        "email": secret["email"],
        "name": secret["name"],
        "customer_id": ticket["customer"]["customer_id"],
    }
    assert (ticket["subject"], ticket["body"]) == (secret["subject"], secret["body"])
    assert ticket["fields"] == {"order_id": secret["order_id"]}
    thread = (await platform["intake"].get(f"/tickets/{ticket_id}/messages")).json()
    assert [m["body"] for m in thread["data"]] == [
        secret["message"],
        secret["reply"],
        secret["note"],
    ]
    assert thread["data"][0]["author_name"] == secret["name"]
    listed = await platform["intake"].get(
        "/tickets", params={"customer_email": secret["email"].upper()}
    )
    assert [t["id"] for t in listed.json()["data"]] == [ticket_id]
    notified = await platform["notify"].get("/notifications", params={"ticket_id": ticket_id})
    deliveries = {d["event_type"]: d for d in notified.json()["data"]}
    delivery = deliveries["ticket.created.v1"]
    assert (delivery["recipient"], delivery["recipient_name"]) == (secret["email"], secret["name"])
    assert secret["subject"] in delivery["subject"] + delivery["body"]
    assert secret["reply"] in deliveries["ticket.message_added.v1"]["body"]
    assert all(secret["note"] not in d["body"] for d in deliveries.values())


async def post_conversation(intake: httpx.AsyncClient, ticket_id: str, secret: dict) -> None:
    """The customer's message (with their name on it), a public reply and an internal note."""
    posted = [
        await intake.post(
            f"/tickets/{ticket_id}/customer-messages", json={"body": secret["message"]}
        ),
        await intake.post(
            f"/tickets/{ticket_id}/messages",
            json={"body": secret["reply"], "visibility": "public"},
        ),
        await intake.post(
            f"/tickets/{ticket_id}/messages",
            json={"body": secret["note"], "visibility": "internal"},
        ),
    ]
    assert [response.status_code for response in posted] == [201, 201, 201]


async def reported_notified(reporting: httpx.AsyncClient, ticket_id: str) -> None:
    """Wait until reporting's row counts the ticket's notification."""
    for _ in range(200):
        response = await reporting.get(f"/reports/tickets/{ticket_id}")
        if response.status_code == 200 and response.json()["notifications"] >= 1:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"reporting never counted a notification of {ticket_id}")


def clear_intake_ticket(ticket_id: str, secret: dict[str, str]) -> dict:
    """A ticket as intake stored it before sealing: clear text, filed by its address."""
    return {
        "_id": ticket_id,
        "channel": "web",
        "customer": {"email": secret["email"], "name": secret["name"]},
        "customer_email": secret["email"].lower(),
        "subject": secret["subject"],
        "body": secret["body"],
        "category": "billing",
        "priority": "high",
        "fields": {"order_id": secret["order_id"]},
        "idempotency": None,
        "created_at": T0,
        "version": 2,
        "status": "resolved",
        "assignee": None,
        "history": [
            {"event_type": "ticket.created.v1", "status": "new", "at": T0},
            {
                "event_type": "ticket.resolved.v1",
                "status": "resolved",
                "at": T0,
                "note": f"Sent {secret['name']} a new parcel",
            },
        ],
        "sequences": {},
        "resolution": f"Sent {secret['name']} a new parcel",
        "resolved_at": T0,
        "updated_at": T0,
    }


def clear_notify_docs(ticket_id: str, secret: dict[str, str]) -> tuple[dict, dict]:
    """Notify's ticket and delivery documents as written before sealing."""
    ticket = {
        "_id": ticket_id,
        "customer_email": secret["email"],
        "customer_name": secret["name"],
        "subject": secret["subject"],
        "category": "billing",
        "recorded_at": T0,
        "delivery_ids": ["ev-old:email"],
    }
    delivery = {
        "_id": "ev-old:email",
        "channel": "email",
        "event_id": "ev-old",
        "event_type": "ticket.created.v1",
        "template": "ticket.created.v1",
        "ticket_id": ticket_id,
        "recipient": secret["email"],
        "recipient_name": secret["name"],
        "subject": f"We received your request: {secret['subject']}",
        "body": f"Hello {secret['name']}, about {secret['body']}",
        "message_id": "<ev-old.email@ticketflow.local>",
        "status": "sent",
        "attempts": 1,
        "leased_until": T0,
        "error": None,
        "sent_at": T0,
        "smtp_response": f"250 OK queued for <{secret['email']}>",
        "abandoned_attempts": 0,
        "created_at": T0,
        "updated_at": T0,
    }
    return ticket, delivery


async def test_clear_text_stored_before_sealing_is_sealed_at_start_and_still_found(
    namespace: Namespace,
):
    secret = secrets_of(uuid.uuid4().hex[:10])
    old_id = f"TF-OLD{uuid.uuid4().hex[:8].upper()}"
    notify_ticket, delivery = clear_notify_docs(old_id, secret)
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    try:
        intake_db = client[namespace.database("intake")]
        await intake_db["tickets"].insert_one(clear_intake_ticket(old_id, secret))
        # The customer index of that time, keyed by the address and already built.
        await intake_db["customers"].insert_one(
            {"_id": secret["email"].lower(), "ticket_ids": [old_id]}
        )
        await intake_db["migrations"].insert_one({"_id": "customer_ticket_ids", "done_at": T0})
        notify_db = client[namespace.database("notify")]
        await notify_db["tickets"].insert_one(notify_ticket)
        await notify_db["deliveries"].insert_one(delivery)
    finally:
        await client.close()
    assert await clear_text_in(namespace, secret) != []  # the test's own premise

    async with (
        serve_in_process(intake_app(namespace.settings(IntakeSettings, "intake"))) as intake,
        serve_in_process(notify_app(namespace.settings(NotifySettings, "notify"))) as notify,
    ):
        listed = await intake.get("/tickets", params={"customer_email": secret["email"]})
        ticket = (await intake.get(f"/tickets/{old_id}")).json()
        notified = await notify.get("/notifications", params={"ticket_id": old_id})

    assert await clear_text_in(namespace, secret) == []
    assert [t["id"] for t in listed.json()["data"]] == [old_id]
    assert ticket["customer"]["email"] == secret["email"]
    assert ticket["resolution"] == f"Sent {secret['name']} a new parcel"
    assert ticket["fields"] == {"order_id": secret["order_id"]}
    [read] = notified.json()["data"]
    assert (read["recipient"], read["smtp_response"]) == (
        secret["email"],
        f"250 OK queued for <{secret['email']}>",
    )
