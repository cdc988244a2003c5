"""Email end to end: a customer's mail relayed to intake's SMTP listener becomes a ticket,
notify's acknowledgement reaches the customer, and the customer's answer to it (again over
SMTP, quoting it) joins the same ticket's thread, as separate processes on the real servers."""

import asyncio
import smtplib
import socket

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import Platform
from journey import eventually, mails_to, unique_email

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SMTP_PORT = _free_port()


@pytest.fixture
def platform_env() -> dict[str, dict[str, str]]:
    return {"intake": {"TICKETFLOW_INTAKE_SMTP_PORT": str(SMTP_PORT)}}


def relay(sender: str, raw: bytes) -> tuple[int, str]:
    """What an MTA does with one message for the support address."""
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=20) as client:
        client.ehlo("mta.example.org")
        client.mail(sender)
        client.rcpt("support@example.org")
        code, reply = client.data(raw)
        return code, reply.decode()


def mail(sender: str, message_id: str, subject: str, body: str, *headers: str) -> bytes:
    lines = [f"From: Pat <{sender}>", "To: support@example.org", f"Subject: {subject}"]
    lines += [f"Message-ID: {message_id}", *headers, "", body]
    return ("\r\n".join(lines) + "\r\n").encode()


async def test_an_answer_to_the_acknowledgement_joins_the_ticket(platform: Platform) -> None:
    customer = unique_email("mailer")
    first = mail(customer, f"<first-{customer}>", "Printer on fire", "It is on fire.")
    code, reply = await asyncio.to_thread(relay, customer, first)
    assert code == 250, reply
    ticket_id = reply.split()[-1]
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        [ack] = await eventually(lambda: mails_to(http, platform, customer), what="the ack")
        assert f"[{ticket_id}]" in ack["subject"]
        assert ack["message_id"].endswith(f".{ticket_id}@ticketflow.local>")
        answer = mail(
            customer,
            f"<answer-{customer}>",
            f"Re: {ack['subject']}",
            f"Unplugged, still smoking.\r\n\r\nOn Thu, support wrote:\r\n> {ack['text'][:40]}",
            f"In-Reply-To: {ack['message_id']}",
            f"References: {ack['message_id']}",
        )
        assert await asyncio.to_thread(relay, customer, answer) == (
            250,
            f"2.0.0 threaded {ticket_id}",
        )
        url = f"{platform.url('intake')}/tickets/{ticket_id}/messages"
        thread = (await http.get(url)).json()["data"]
    assert [(m["author_kind"], m["channel"], m["body"]) for m in thread] == [
        ("customer", "email", "Unplugged, still smoking.")
    ]
