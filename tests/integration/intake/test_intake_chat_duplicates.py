"""Chat on the real servers: a new conversation repeating the customer's open ticket joins it,
the decision is shown at /tickets/{id}/duplicates, and another problem opens a ticket."""

import httpx
import pytest
from intake_apps import intake_app

from support import BusProbe, serve_in_process

pytestmark = pytest.mark.integration

REFUND = "Refund not received for order 88123, I returned the blue kettle two weeks ago"
REFUND_AGAIN = "Where is my refund for order 88123? The kettle went back two weeks ago"
LOGIN = "Cannot log in to the app, it says error E-401 on my phone"


def _chat(event_id: str, text: str, conversation: str, user: str = "U-7") -> dict:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "workspace": "acme",
        "user": {"id": user, "name": "Pat"},
        "text": text,
    }


async def _thread(client: httpx.AsyncClient, ticket_id: str) -> list[dict]:
    return (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]


async def test_a_new_conversation_about_the_same_problem_joins_the_open_ticket(
    client, bus_probe: BusProbe
) -> None:
    first = await client.post("/channels/chat", json=_chat("e-1", REFUND, "conv-1"))
    again = await client.post("/channels/chat", json=_chat("e-2", REFUND_AGAIN, "conv-2"))
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    ticket_id = first.json()["ticket_id"]
    joined = again.json()
    assert joined["ticket_id"] == joined["duplicate_of"] == ticket_id
    assert joined["replayed"] is False

    [decision] = (await client.get(f"/tickets/{ticket_id}/duplicates")).json()["data"]
    assert decision["channel"] == "chat"
    assert decision["message_id"] == joined["message_id"]
    assert decision["score"] >= decision["threshold"] == 0.4
    assert "88123" in decision["words"] and "refund" in decision["matched_words"]
    [message] = await _thread(client, ticket_id)
    assert message["id"] == joined["message_id"]
    assert message["body"] == REFUND_AGAIN  # the chat text once, not its first line twice
    assert (message["channel"], message["author_kind"]) == ("chat", "customer")
    [added] = await bus_probe.wait_for("ticket.message_added.v1", subject=ticket_id)
    assert added.data["joined"] == "duplicate"

    # The second conversation now belongs to the joined ticket: its next message goes there.
    later = await client.post("/channels/chat", json=_chat("e-3", "Order 88123 still", "conv-2"))
    assert later.status_code == 201, later.text
    assert later.json()["ticket_id"] == ticket_id
    assert "duplicate_of" not in later.json()
    assert [m["body"] for m in await _thread(client, ticket_id)][-1] == "Order 88123 still"
    await bus_probe.wait_for("ticket.created.v1", subject=ticket_id)
    await bus_probe.wait_for("ticket.message_added.v1", subject=ticket_id, count=2)
    assert [e.subject for e in bus_probe.of_type("ticket.created.v1")] == [ticket_id]


async def test_a_redelivered_joining_message_joins_once(client) -> None:
    first = await client.post("/channels/chat", json=_chat("e-1", REFUND, "conv-1"))
    joined = await client.post("/channels/chat", json=_chat("e-2", REFUND_AGAIN, "conv-2"))
    again = await client.post("/channels/chat", json=_chat("e-2", REFUND_AGAIN, "conv-2"))
    ticket_id = first.json()["ticket_id"]
    assert again.status_code == 200, again.text
    assert again.json() == {**joined.json(), "replayed": True}
    assert len(await _thread(client, ticket_id)) == 1
    assert (await client.get(f"/tickets/{ticket_id}/duplicates")).json()["count"] == 1


async def test_another_problem_or_another_customer_opens_a_ticket(
    client, bus_probe: BusProbe
) -> None:
    first = await client.post("/channels/chat", json=_chat("e-1", REFUND, "conv-1"))
    login = await client.post("/channels/chat", json=_chat("e-2", LOGIN, "conv-2"))
    other = await client.post("/channels/chat", json=_chat("e-3", REFUND, "conv-3", user="U-8"))
    assert [r.status_code for r in (first, login, other)] == [201, 201, 201]
    assert len({r.json()["ticket_id"] for r in (first, login, other)}) == 3
    assert all("duplicate_of" not in r.json() for r in (first, login, other))
    assert (await client.get(f"/tickets/{first.json()['ticket_id']}/duplicates")).json() == {
        "data": [],
        "count": 0,
    }
    await bus_probe.wait_for("ticket.created.v1", count=3)


async def test_with_detection_off_a_new_conversation_opens_a_ticket(namespace) -> None:
    async with serve_in_process(intake_app(namespace, duplicate_detection=False)) as client:
        first = await client.post("/channels/chat", json=_chat("e-1", REFUND, "conv-1"))
        again = await client.post("/channels/chat", json=_chat("e-2", REFUND_AGAIN, "conv-2"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["ticket_id"] != again.json()["ticket_id"]
