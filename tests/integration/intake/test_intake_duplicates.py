"""No duplicate tickets: a customer's repeated request joins their open ticket, across
channels, and the decision is shown at /tickets/{id}/duplicates."""

import asyncio
from email.message import EmailMessage

import pytest
from intake_apps import intake_app

from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

REFUND = ("Refund not received for order 88123", "I returned the blue kettle, still no refund.")
REFUND_AGAIN = (
    "Where is my refund? Order 88123",
    "The kettle from order 88123 went back two weeks ago and the refund has not arrived.",
)
LOGIN = ("Cannot log in to the app", "The app says error E-401 when I sign in on my phone.")


def ticket(email: str, text: tuple[str, str]) -> dict:
    subject, body = text
    return {
        "channel": "web",
        "customer": {"email": email, "name": "Ana"},
        "subject": subject,
        "body": body,
        "category": "general",
    }


async def test_a_repeated_request_joins_the_open_ticket(client, bus_probe: BusProbe) -> None:
    first = await client.post("/tickets", json=ticket("ana@example.com", REFUND))
    again = await client.post("/tickets", json=ticket("ANA@example.com", REFUND_AGAIN))
    assert (first.status_code, again.status_code) == (201, 200)
    ticket_id = first.json()["id"]
    joined = again.json()
    assert joined["id"] == joined["duplicate_of"] == ticket_id
    decision = joined["duplicate"]
    assert decision["score"] >= decision["threshold"] == 0.4
    assert "88123" in decision["words"] and "refund" in decision["matched_words"]
    [message] = (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]
    assert message["id"] == decision["message_id"]
    assert message["body"].startswith("Where is my refund?")
    assert message["author_kind"] == "customer"

    shown = await client.get(f"/tickets/{ticket_id}/duplicates")
    assert shown.json() == {"data": [decision], "count": 1}
    [added] = await bus_probe.wait_for("ticket.message_added.v1", subject=ticket_id)
    assert added.data["joined"] == "duplicate"
    assert "duplicate_of" not in first.json()


async def test_another_problem_or_another_customer_opens_a_ticket(client) -> None:
    first = await client.post("/tickets", json=ticket("bo@example.com", REFUND))
    login = await client.post("/tickets", json=ticket("bo@example.com", LOGIN))
    other = await client.post("/tickets", json=ticket("cy@example.com", REFUND))
    assert [r.status_code for r in (first, login, other)] == [201, 201, 201]
    assert len({r.json()["id"] for r in (first, login, other)}) == 3


async def test_a_solved_ticket_takes_no_duplicate(client) -> None:
    first = await client.post("/tickets", json=ticket("di@example.com", REFUND))
    await client.post(f"/tickets/{first.json()['id']}/resolve", json={"resolution": "paid"})
    again = await client.post("/tickets", json=ticket("di@example.com", REFUND_AGAIN))
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


async def test_a_retry_with_its_key_gets_the_same_answer(client) -> None:
    first = await client.post("/tickets", json=ticket("ed@example.com", REFUND))
    headers = {"Idempotency-Key": "web-form-5"}
    body = ticket("ed@example.com", REFUND_AGAIN)
    joined = await client.post("/tickets", json=body, headers=headers)
    retry = await client.post("/tickets", json=body, headers=headers)
    assert (joined.status_code, retry.status_code) == (200, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["duplicate"] == joined.json()["duplicate"]
    assert retry.json()["duplicate_of"] == first.json()["id"]
    thread = await client.get(f"/tickets/{first.json()['id']}/messages")
    assert thread.json()["count"] == 1
    misuse = await client.post("/tickets", json=ticket("ed@example.com", LOGIN), headers=headers)
    assert misuse.status_code == 409


async def test_an_email_joins_the_web_ticket_of_the_same_customer(client) -> None:
    first = await client.post("/tickets", json=ticket("fay@example.com", REFUND))
    mail = EmailMessage()
    mail["From"] = "Fay <fay@example.com>"
    mail["To"] = "support@example.com"
    mail["Subject"], body = REFUND_AGAIN
    mail["Message-ID"] = "<refund-88123@mail.example.com>"
    mail.set_content(body)
    headers = {"Content-Type": "message/rfc822"}
    sent = await client.post("/channels/email", content=mail.as_bytes(), headers=headers)
    assert sent.status_code == 200
    assert sent.json()["duplicate_of"] == first.json()["id"]
    thread = await client.get(f"/tickets/{first.json()['id']}/messages")
    assert [m["channel"] for m in thread.json()["data"]] == ["email"]


async def test_detection_can_be_turned_off(namespace: Namespace) -> None:
    async with serve_in_process(intake_app(namespace, duplicate_detection=False)) as client:
        first = await client.post("/tickets", json=ticket("gil@example.com", REFUND))
        again = await client.post("/tickets", json=ticket("gil@example.com", REFUND))
    assert (first.status_code, again.status_code) == (201, 201)


async def test_a_ticket_older_than_the_window_is_no_candidate(namespace: Namespace) -> None:
    quick = intake_app(namespace, duplicate_window_hours=0.5 / 3600)  # half a second
    async with serve_in_process(quick) as client:
        first = await client.post("/tickets", json=ticket("hal@example.com", REFUND))
        await asyncio.sleep(0.8)
        later = await client.post("/tickets", json=ticket("hal@example.com", REFUND_AGAIN))
    assert (first.status_code, later.status_code) == (201, 201)
