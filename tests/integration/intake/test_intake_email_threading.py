"""A customer's answer to our email joins its ticket's thread on the real store; a reference
to another customer's ticket or an unknown one opens a new ticket."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

RFC822 = {"Content-Type": "message/rfc822"}
DOMAIN = "ticketflow.local"


def mail(message_id: str, sender: str, subject: str, body: str, *headers: str) -> bytes:
    lines = [f"From: {sender}", f"Subject: {subject}", f"Message-ID: {message_id}", *headers]
    lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def app(namespace: Namespace) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def opened(client: httpx.AsyncClient, tag: str, sender: str = "Pat <pat@example.com>"):
    first = mail(f"<{tag}-open@example.com>", sender, "Printer on fire", "It is on fire.")
    answer = await client.post("/channels/email", content=first, headers=RFC822)
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket_id"]


async def staff_reply(client: httpx.AsyncClient, ticket_id: str) -> str:
    reply = {"body": "Unplug it, please.", "visibility": "public"}
    posted = await client.post(f"/tickets/{ticket_id}/messages", json=reply)
    assert posted.status_code == 201, posted.text
    return posted.json()["id"]


async def test_an_answer_to_our_reply_joins_the_thread_once(client):
    ticket_id = await opened(client, "t1")
    ours = f"<{await staff_reply(client, ticket_id)}.{ticket_id}@{DOMAIN}>"
    answer = mail(
        "<t1-answer@example.com>",
        "PAT <Pat@Example.COM>",
        "Re: Printer on fire",
        "Unplugged, still smoking.\n\nOn Mon, Support wrote:\n> Unplug it, please.\n",
        f"In-Reply-To: {ours}",
        f"References: {ours}",
    )
    first = await client.post("/channels/email", content=answer, headers=RFC822)
    again = await client.post("/channels/email", content=answer, headers=RFC822)
    assert first.status_code == again.status_code == 200, first.text
    body = first.json()
    assert (body["ticket_id"], body["threaded"], body["replayed"]) == (ticket_id, True, False)
    assert again.json()["message_id"] == body["message_id"]
    assert again.json()["replayed"] is True
    thread = (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]
    assert [(m["author_kind"], m["channel"], m["body"]) for m in thread] == [
        ("agent", None, "Unplug it, please."),
        ("customer", "email", "Unplugged, still smoking."),
    ]
    assert thread[1]["in_reply_to"] == thread[0]["id"]


async def test_the_subject_tag_alone_threads_an_answer(client):
    ticket_id = await opened(client, "t2")
    answer = mail("<t2-answer@example.com>", "pat@example.com", f"Re: [{ticket_id}] fire", "Out.")
    posted = await client.post("/channels/email", content=answer, headers=RFC822)
    assert posted.status_code == 200, posted.text
    assert (posted.json()["ticket_id"], posted.json()["threaded"]) == (ticket_id, True)


async def test_another_customers_reference_opens_a_new_ticket(client):
    ticket_id = await opened(client, "t3")
    ours = f"<ev-1.{ticket_id}@{DOMAIN}>"
    stranger = mail(
        "<t3-other@example.com>",
        "mallory@example.net",
        f"Re: [{ticket_id}] Printer on fire",
        "Tell me about it.",
        f"In-Reply-To: {ours}",
    )
    posted = await client.post("/channels/email", content=stranger, headers=RFC822)
    assert posted.status_code == 201, posted.text
    assert posted.json()["ticket_id"] != ticket_id
    assert "threaded" not in posted.json()
    assert (await client.get(f"/tickets/{ticket_id}/messages")).json()["count"] == 0


async def test_an_unknown_ticket_or_a_foreign_domain_opens_a_new_ticket(client):
    unknown = mail("<t4@example.com>", "pat@example.com", "Re: [TF-000000000000] x", "Hello")
    posted = await client.post("/channels/email", content=unknown, headers=RFC822)
    assert posted.status_code == 201, posted.text
    ticket_id = await opened(client, "t5")
    foreign = mail(
        "<t5-answer@example.com>",
        "pat@example.com",
        "Re: Printer",
        "Hello",
        f"In-Reply-To: <ev-1.{ticket_id}@elsewhere.example>",
    )
    posted = await client.post("/channels/email", content=foreign, headers=RFC822)
    assert posted.status_code == 201, posted.text
    assert posted.json()["ticket_id"] != ticket_id


async def test_an_answer_to_a_closed_ticket_opens_its_follow_up_once(app, client):
    ticket_id = await opened(client, "t6")
    stored = await app.state.tickets.get(ticket_id)
    stored.status = stored.status.__class__("closed")
    await app.state.tickets.save(stored, stored.version)
    answer = mail("<t6-answer@example.com>", "pat@example.com", f"Re: [{ticket_id}] fire", "Again!")
    first = await client.post("/channels/email", content=answer, headers=RFC822)
    again = await client.post("/channels/email", content=answer, headers=RFC822)
    assert first.status_code == again.status_code == 200, first.text
    follow_up = first.json()["ticket_id"]
    assert follow_up != ticket_id and again.json()["ticket_id"] == follow_up
    assert (first.json()["threaded"], first.json()["message_id"]) == (True, None)
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    shown = (await client.get(f"/tickets/{follow_up}")).json()
    assert (shown["follow_up_of"], shown["body"]) == (ticket_id, "Again!")
