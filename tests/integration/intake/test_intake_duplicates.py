"""No duplicate tickets: a customer's repeated request joins their open ticket, across
channels, and the decision is shown at /tickets/{id}/duplicates."""

import asyncio
from email.message import EmailMessage

import pytest
from intake_apps import intake_app

from intake import handlers
from intake.schemas import TicketCreate
from intake.triage_step import triager_of
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


@pytest.mark.concurrent
async def test_concurrent_sends_of_one_keyed_request_open_one_ticket_and_join_nothing(
    client,
) -> None:
    headers = {"Idempotency-Key": "double-click-1"}
    body = ticket("flo@example.com", REFUND)
    answers = await asyncio.gather(
        *(client.post("/tickets", json=body, headers=headers) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert all(a.json().get("duplicate") is None for a in answers)
    thread = await client.get(f"/tickets/{answers[0].json()['id']}/messages")
    assert thread.json()["count"] == 0


class ReadsBeforeTheInsert:
    """Tickets whose first read misses, as a concurrent request with the same key reads just
    before the first request's insert lands."""

    def __init__(self, tickets) -> None:
        self.tickets, self.missed = tickets, False

    async def get(self, ticket_id: str):
        if not self.missed:
            self.missed = True
            return None
        return await self.tickets.get(ticket_id)

    def __getattr__(self, name: str):
        return getattr(self.tickets, name)


async def test_a_keyed_request_racing_its_own_first_send_is_a_replay_not_a_duplicate(
    namespace: Namespace,
) -> None:
    app = intake_app(namespace)
    state = app.state
    command = TicketCreate.model_validate(ticket("gus@example.com", REFUND)).to_command(
        "race-1", created_by="user:test"
    )

    async def send(tickets):
        return await handlers.create_ticket(
            command,
            tickets,
            state.categories,
            identities=state.customer_identities,
            triager=triager_of(state),
            duplicates=state.duplicates,
        )

    async with serve_in_process(app) as client:
        first = await send(state.tickets)
        second = await send(ReadsBeforeTheInsert(state.tickets))

        assert (second.ticket.id, second.replayed) == (first.ticket.id, True)
        assert second.duplicate is None
        thread = await client.get(f"/tickets/{first.ticket.id}/messages")
        assert thread.json()["count"] == 0


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


async def test_a_repeat_that_could_not_open_a_ticket_is_refused_not_joined(client) -> None:
    first = await client.post("/tickets", json=ticket("cy@example.com", REFUND))
    assert first.status_code == 201, first.text
    unknown = {**ticket("cy@example.com", REFUND_AGAIN), "category": "nonexistent"}
    refused = await client.post("/tickets", json=unknown)
    assert refused.status_code == 422, refused.text
    missing = {**ticket("cy@example.com", REFUND_AGAIN), "category": "billing", "fields": {}}
    refused = await client.post("/tickets", json=missing)
    assert refused.status_code == 422, refused.text
    assert "order_id" in refused.text
    thread = (await client.get(f"/tickets/{first.json()['id']}/messages")).json()
    assert thread["data"] == []  # nothing joined
    joined = await client.post("/tickets", json=ticket("cy@example.com", REFUND_AGAIN))
    assert joined.status_code == 200 and joined.json()["duplicate_of"] == first.json()["id"]
