"""The SMTP listener on a real socket, driven with smtplib: the webhook's path and answers
an MTA acts on (250 taken or dropped, 5xx refused, 552 over SIZE)."""

import asyncio
import smtplib
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

LIMIT = 8192
MAIL = (
    b"From: Pat Doe <pat@example.com>\r\nTo: support@example.org\r\n"
    b"Subject: Printer on fire\r\nMessage-ID: <s-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nIt is on fire.\r\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def listener(namespace: Namespace) -> AsyncIterator[tuple[int, httpx.AsyncClient]]:
    port = free_port()
    settings = namespace.settings(IntakeSettings, "intake").model_copy(
        update={"intake_smtp_port": port, "inbound_email_max_bytes": LIMIT}
    )
    async with serve_in_process(create_app(settings)) as http:
        yield port, http


def send(port: int, raw: bytes, declare_size: bool = True) -> tuple[int, bytes]:
    """One SMTP transaction; the reply to DATA (or to MAIL, when the server refuses it)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("mta.example.org")
        code, reply = client.mail("pat@example.com", [f"SIZE={len(raw)}"] if declare_size else [])
        if code != 250:
            return code, reply
        client.rcpt("support@example.org")
        return client.data(raw)


def advertised_size(port: int) -> str:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("mta.example.org")
        return client.esmtp_features["size"]


async def smtp(port: int, raw: bytes, declare_size: bool = True) -> tuple[int, str]:
    code, reply = await asyncio.to_thread(send, port, raw, declare_size)
    return code, reply.decode()


async def test_a_relayed_mail_becomes_a_ticket_once(listener):
    port, http = listener
    code, reply = await smtp(port, MAIL)
    assert code == 250, reply
    ticket_id = reply.split()[-1]
    again_code, again = await smtp(port, MAIL)
    assert (again_code, again) == (250, f"2.0.0 ticket {ticket_id} (already taken)")
    ticket = (await http.get(f"/tickets/{ticket_id}")).json()
    assert (ticket["channel"], ticket["subject"]) == ("email", "Printer on fire")


async def test_an_answer_joins_its_ticket_over_smtp(listener):
    port, http = listener
    _, reply = await smtp(port, MAIL.replace(b"<s-1@", b"<s-2@"))
    ticket_id = reply.split()[-1]
    answer = MAIL.replace(b"<s-1@", b"<s-3@").replace(
        b"Subject: Printer on fire", f"Subject: Re: [{ticket_id}] Printer on fire".encode()
    )
    code, reply = await smtp(port, answer)
    assert (code, reply) == (250, f"2.0.0 threaded {ticket_id}")
    thread = (await http.get(f"/tickets/{ticket_id}/messages")).json()
    assert [m["body"] for m in thread["data"]] == ["It is on fire."]


async def test_automatic_mail_is_taken_and_dropped(listener):
    port, _ = listener
    bounce = MAIL.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    assert await smtp(port, bounce) == (250, "2.0.0 dropped: Auto-Submitted: auto-replied")


async def test_unreadable_mail_is_refused_with_its_reason(listener):
    port, _ = listener
    code, reply = await smtp(port, b"Subject: s\r\nMessage-ID: <s-4@x>\r\n\r\nno sender\r\n")
    assert code == 550
    assert "no sender address in From" in reply


async def test_a_mail_over_the_size_limit_is_refused_by_size(listener):
    port, _ = listener
    assert await asyncio.to_thread(advertised_size, port) == str(LIMIT)
    big = MAIL + (b"x" * 70 + b"\r\n") * (LIMIT // 70)  # lines of legal length
    declared, _ = await smtp(port, big)
    undeclared, _ = await smtp(port, big, declare_size=False)
    assert (declared, undeclared) == (552, 552)


async def test_a_sender_no_ticket_could_name_is_refused_for_good(listener):
    port, _ = listener
    for n, sender in enumerate((b"a..b@example.com", b"a@localhost", b'"a b"@example.com')):
        raw = (
            b"From: x <" + sender + b">\r\nSubject: s\r\nMessage-ID: <s-bad-%d@x>\r\n\r\nb\r\n" % n
        )
        code, reply = await smtp(port, raw)
        assert (code, reply.split()[0]) == (550, "5.1.7"), reply  # not 451: no retrying
        assert "is unusable" in reply
