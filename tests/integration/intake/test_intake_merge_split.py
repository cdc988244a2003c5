"""Merge a ticket into another of the same customer's, and split a message out of one."""

from collections.abc import AsyncIterator

import httpx
import pytest

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration
BILLING_AGENT = headers("agent", departments=("billing",), subject="ana")
SHIPPING_AGENT = headers("agent", departments=("shipping",), subject="sid")


def ticket(email: str, subject: str, body: str, category: str = "general") -> dict:
    return {
        "channel": "web",
        "customer": {"email": email, "name": "Mo"},
        "subject": subject,
        "body": body,
        "category": category,
        "fields": {"order_id": "4"} if category == "billing" else {},
    }


@pytest.fixture
async def client(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(namespace.settings(IntakeSettings, "intake"))
    async with serve_in_process(app) as http:
        yield http


async def opened(client: httpx.AsyncClient, body: dict) -> str:
    response = await client.post("/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_merge_copies_the_thread_once_and_closes_the_source(
    client, bus_probe: BusProbe
) -> None:
    target = await opened(client, ticket("mo@example.com", "Parcel 7731 lost", "Never came."))
    source = await opened(client, ticket("mo@example.com", "Invoice copy", "Need INV-9."))
    await client.post(f"/tickets/{source}/customer-messages", json={"body": "For March."})

    merged = await client.post(f"/tickets/{source}/merge", json={"into": target})
    again = await client.post(f"/tickets/{source}/merge", json={"into": target})
    assert (merged.status_code, again.status_code) == (200, 200), merged.text
    assert merged.json()["status"] == "closed"
    assert merged.json()["messages_copied"] == again.json()["messages_copied"] == 2

    thread = (await client.get(f"/tickets/{target}/messages")).json()["data"]
    assert [m["body"] for m in thread] == ["Invoice copy\n\nNeed INV-9.", "For March."]
    closed = (await client.get(f"/tickets/{source}")).json()
    assert closed["status"] == "closed"
    assert closed["history"][-1]["event_type"] == "ticket.merged.v1"
    links = (await client.get(f"/tickets/{source}/links")).json()
    assert links["merged_into"] == target
    assert (await client.get(f"/tickets/{target}/links")).json()["merged_from"] == [source]

    [event] = await bus_probe.wait_for("ticket.merged.v1", subject=source)
    assert event.data["into"] == target
    copies = await bus_probe.wait_for("ticket.message_added.v1", subject=target, count=2)
    assert {e.data["joined"] for e in copies} == {"merge"}


async def test_merges_that_cannot_be_are_refused(client) -> None:
    mine = await opened(client, ticket("ny@example.com", "Router X1 broken", "No light."))
    other = await opened(client, ticket("oz@example.com", "Invoice copy", "Need INV-3."))
    closed = await opened(client, ticket("ny@example.com", "Coupon", "Code SAVE5 invalid."))
    gone = await client.post(f"/tickets/{closed}/merge", json={"into": mine})
    assert gone.json()["status"] == "closed"
    billing = await opened(client, ticket("ny@example.com", "Charged twice", "Order 4.", "billing"))

    across = await client.post(f"/tickets/{mine}/merge", json={"into": other})
    itself = await client.post(f"/tickets/{mine}/merge", json={"into": mine})
    into_closed = await client.post(f"/tickets/{mine}/merge", json={"into": closed})
    unseen = await client.post(
        f"/tickets/{mine}/merge", json={"into": billing}, headers=SHIPPING_AGENT
    )
    assert [r.status_code for r in (across, itself, into_closed, unseen)] == [409, 409, 409, 404]
    assert "another customer's" in across.json()["detail"]
    assert (await client.get(f"/tickets/{mine}")).json()["status"] == "new"


async def test_a_split_opens_one_ticket_per_message(client, bus_probe: BusProbe) -> None:
    source = await opened(client, ticket("pa@example.com", "Parcel 5120 late", "Where is it?"))
    await client.post(
        f"/tickets/{source}/customer-messages",
        json={"body": "Also my password reset email never arrives."},
    )
    [message] = (await client.get(f"/tickets/{source}/messages")).json()["data"]
    message_id = message["id"]

    split = await client.post(f"/tickets/{source}/messages/{message_id}/split")
    again = await client.post(f"/tickets/{source}/messages/{message_id}/split")
    assert (split.status_code, again.status_code) == (201, 200), split.text
    new = split.json()["ticket"]
    assert again.json()["ticket"]["id"] == new["id"] != source
    assert new["subject"] == "Also my password reset email never arrives."
    assert new["customer"] == (await client.get(f"/tickets/{source}")).json()["customer"]
    links = (await client.get(f"/tickets/{source}/links")).json()
    assert links["split_out"] == [{"message_id": message_id, "ticket_id": new["id"]}]
    back = (await client.get(f"/tickets/{new['id']}/links")).json()
    assert back["split_from"] == {"message_id": message_id, "ticket_id": source}
    [event] = await bus_probe.wait_for("ticket.split.v1", subject=source)
    assert event.data["new_ticket_id"] == new["id"]

    missing = await client.post(f"/tickets/{source}/messages/M-nope/split")
    assert missing.status_code == 404
