"""Repeated contact on the real servers: the customer's third contact within the window raises
the ticket one step and publishes ticket.escalated.v1 once per window; a redelivery or a
fourth contact does not raise it again, and with the setting off nothing is raised."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from intake_apps import intake_app
from macro_helpers import stored
from triage_helpers import create, ticket

from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

CALM = ["Any news?", "Checking in on this one.", "Is there an update?", "Hello once more."]
REASON = "repeated contact: 3 unanswered messages in 24 h"
# The outbox publishes within its poll; an escalation nobody should make has had time by then.
SETTLE_SECONDS = 1.5


async def _opened(client: httpx.AsyncClient) -> dict:
    made = await create(client, ticket("Locked out", "Cannot log in", category="account"))
    assert made["priority"] == "normal"
    return made


async def _write(client: httpx.AsyncClient, ticket_id: str, body: str) -> dict:
    posted = await client.post(f"/tickets/{ticket_id}/customer-messages", json={"body": body})
    assert posted.status_code == 201, posted.text
    return (await client.get(f"/tickets/{ticket_id}")).json()


async def _escalations(app: FastAPI, ticket_id: str) -> int:
    """How many escalations the stored ticket's history records (their notes are sealed)."""
    doc = await stored(app, ticket_id)
    return sum(1 for h in doc["history"] if h["event_type"] == "ticket.escalated.v1")


async def test_the_third_contact_raises_the_ticket_once(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    app = intake_app(namespace)
    async with serve_in_process(app) as client:
        made = await _opened(client)
        second = await _write(client, made["id"], CALM[0])
        third = await _write(client, made["id"], CALM[1])
        fourth = await _write(client, made["id"], CALM[2])

        assert [t["priority"] for t in (second, third, fourth)] == ["normal", "high", "high"]
        [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=made["id"])
        assert (escalated.data["source"], escalated.data["trigger"]) == ("intake", "emotion")
        assert (escalated.data["priority"], escalated.data["reason"]) == ("high", REASON)
        await bus_probe.wait_for("ticket.message_added.v1", subject=made["id"], count=3)
        await asyncio.sleep(SETTLE_SECONDS)
        assert len(bus_probe.of_type("ticket.escalated.v1", made["id"])) == 1
        assert await _escalations(app, made["id"]) == 1


def _chat(event_id: str, text: str) -> dict:
    return {
        "event_id": event_id,
        "conversation_id": "conv-1",
        "workspace": "acme",
        "user": {"id": "U-7", "name": "Pat"},
        "text": text,
    }


async def test_a_redelivered_chat_message_does_not_raise_the_ticket_again(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    app = intake_app(namespace)
    async with serve_in_process(app) as client:
        opened = await client.post("/channels/chat", json=_chat("e-1", "Cannot log in"))
        ticket_id = opened.json()["ticket_id"]
        for event_id, text in (("e-2", CALM[0]), ("e-3", CALM[1])):
            answer = await client.post("/channels/chat", json=_chat(event_id, text))
            assert answer.status_code == 201, answer.text
        [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=ticket_id)
        raised = (await client.get(f"/tickets/{ticket_id}")).json()["priority"]

        again = await client.post("/channels/chat", json=_chat("e-3", CALM[1]))
        later = await client.post("/channels/chat", json=_chat("e-4", CALM[2]))

        assert again.status_code == 200 and again.json()["replayed"] is True
        assert later.status_code == 201, later.text
        assert escalated.data["reason"] == REASON
        assert (await client.get(f"/tickets/{ticket_id}")).json()["priority"] == raised
        await bus_probe.wait_for("ticket.message_added.v1", subject=ticket_id, count=3)
        await asyncio.sleep(SETTLE_SECONDS)
        assert len(bus_probe.of_type("ticket.escalated.v1", ticket_id)) == 1
        assert await _escalations(app, ticket_id) == 1


async def test_with_the_setting_off_repeated_contact_raises_nothing(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    off = intake_app(namespace, repeat_contact_escalation=False)
    async with serve_in_process(off) as client:
        made = await _opened(client)
        for body in CALM:
            written = await _write(client, made["id"], body)
        assert written["priority"] == "normal"
        await bus_probe.wait_for("ticket.message_added.v1", subject=made["id"], count=len(CALM))
        await asyncio.sleep(SETTLE_SECONDS)
        assert bus_probe.of_type("ticket.escalated.v1", made["id"]) == []
        assert await _escalations(off, made["id"]) == 0


async def test_only_contacts_within_the_window_count_and_a_new_window_may_raise_again(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    window = 2.0  # seconds
    quick = intake_app(namespace, repeat_contact_window_hours=window / 3600)
    async with serve_in_process(quick) as client:
        made = await _opened(client)
        await asyncio.sleep(window + 0.5)  # the opening request falls out of the window
        first, second = [await _write(client, made["id"], body) for body in CALM[:2]]
        third = await _write(client, made["id"], CALM[2])
        await asyncio.sleep(window + 0.5)  # so does the escalation
        later = [await _write(client, made["id"], body) for body in CALM[:3]]
        assert [t["priority"] for t in (first, second, third)] == ["normal", "normal", "high"]
        assert [t["priority"] for t in later] == ["high", "high", "urgent"]
        escalated = await bus_probe.wait_for("ticket.escalated.v1", subject=made["id"], count=2)
        assert [e.data["priority"] for e in escalated] == ["high", "urgent"]
        reasons = [e.data["reason"] for e in escalated]
        assert all(r.startswith("repeated contact: 3 unanswered messages") for r in reasons)


REFUND = {
    "channel": "web",
    "customer": {"email": "ana@example.com", "name": "Ana"},
    "subject": "Refund not received for order 88123",
    "body": "I returned the blue kettle, still no refund.",
    "category": "general",
}
REFUND_AGAIN = {
    **REFUND,
    "subject": "Where is my refund? Order 88123",
    "body": "The kettle from order 88123 went back two weeks ago and the refund has not arrived.",
}


@pytest.mark.parametrize("enabled", [True, False])
async def test_a_request_joined_as_a_duplicate_counts_as_a_contact(
    namespace: Namespace, bus_probe: BusProbe, enabled: bool
) -> None:
    app = intake_app(namespace, repeat_contact_escalation=enabled)
    async with serve_in_process(app) as client:
        first = await create(client, REFUND)
        joined = await create(client, REFUND_AGAIN)
        assert joined["duplicate_of"] == first["id"]
        written = await _write(client, first["id"], CALM[0])
        raised = (first["priority"], written["priority"])
        if enabled:
            assert raised == ("low", "normal")
            [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=first["id"])
            assert escalated.data["reason"] == REASON
        else:
            assert raised == ("low", "low")
            await bus_probe.wait_for("ticket.message_added.v1", subject=first["id"], count=2)
            await asyncio.sleep(SETTLE_SECONDS)
            assert bus_probe.of_type("ticket.escalated.v1", first["id"]) == []
