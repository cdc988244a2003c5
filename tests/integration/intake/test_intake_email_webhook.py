"""The inbound email webhook on the real store: new tickets, redelivery, loops and 4xx."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

RFC822 = {"Content-Type": "message/rfc822"}
MAIL = (
    b"From: Pat Doe <Pat@Example.com>\r\nTo: support@example.org\r\n"
    b"Subject: Printer on fire\r\nMessage-ID: <m-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nIt is on fire.\r\n"
)


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    settings = namespace.settings(IntakeSettings, "intake")
    return create_app(settings.model_copy(update={"inbound_email_max_bytes": 4096}))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_a_mail_becomes_an_email_ticket_once(client):
    first = await client.post("/channels/email", content=MAIL, headers=RFC822)
    again = await client.post("/channels/email", content=MAIL, headers=RFC822)
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["ticket_id"] == first.json()["ticket_id"]
    ticket = (await client.get(f"/tickets/{first.json()['ticket_id']}")).json()
    assert (ticket["channel"], ticket["subject"], ticket["category"]) == (
        "email",
        "Printer on fire",
        "general",
    )
    assert ticket["customer"]["email"] == "pat@example.com"
    assert ticket["customer"]["name"] == "Pat Doe"


@pytest.mark.concurrent
async def test_concurrent_deliveries_make_one_ticket(client):
    mail = MAIL.replace(b"<m-1@", b"<m-2@")
    answers = await asyncio.gather(
        *(client.post("/channels/email", content=mail, headers=RFC822) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["ticket_id"] for a in answers}) == 1


async def test_an_auto_reply_is_dropped(client):
    mail = MAIL.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    answer = await client.post("/channels/email", content=mail, headers=RFC822)
    assert answer.status_code == 202
    assert answer.json() == {"dropped": True, "reason": "Auto-Submitted: auto-replied"}


async def test_bad_input_is_a_4xx(client):
    big = MAIL + b"x" * 5000
    assert (await client.post("/channels/email", content=big, headers=RFC822)).status_code == 413
    no_sender = b"Subject: s\r\n\r\nbody\r\n"
    answer = await client.post("/channels/email", content=no_sender, headers=RFC822)
    assert answer.status_code == 422
    assert "From" in answer.text
    plain = {"Content-Type": "text/plain"}
    assert (await client.post("/channels/email", content=MAIL, headers=plain)).status_code == 415
