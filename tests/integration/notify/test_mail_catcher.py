"""The local mail catcher keeps a bounded store and lists by recipient without parsing the rest."""

import asyncio
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
from notify_helpers import own_catcher


def kept(store: Path, index: int, to: list[str], subject: str) -> None:
    """A message as the catcher stores it: envelope lines, then the message as it arrived."""
    head = f"X-MailFrom: desk@example.com\r\nX-RcptTo: {', '.join(to)}\r\n"
    body = f"From: desk@example.com\r\nTo: {to[0]}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    name = f"{time.time_ns() - 10_000 + index:020d}-{index:08x}.eml"
    (store / name).write_bytes((head + body).encode())


def send(port: int, to: str, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "desk@example.com", to, subject
    message.set_content("a new one")
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)


async def test_start_keeps_the_newest_messages_and_to_lists_only_that_recipients(tmp_path):
    store = tmp_path / "smtp"
    store.mkdir()
    for index, to in enumerate(
        (["old@example.com"], ["pat@example.com"], ["lee@example.com", "Pat@Example.com"])
    ):
        kept(store, index, to, f"kept {index}")
    (store / "not-a-message.txt").write_text("left alone")

    async with own_catcher(store, "--keep", "2") as catcher:
        await asyncio.to_thread(send, catcher.smtp_port, "PAT@example.com", "sent now")
        async with httpx.AsyncClient(base_url=catcher.api, timeout=5) as client:
            everything = (await client.get("/api/messages")).json()
            for_pat = (await client.get("/api/messages", params={"to": "pat@EXAMPLE.com"})).json()
            for_old = (await client.get("/api/messages", params={"to": "old@example.com"})).json()

    assert [m["subject"] for m in everything] == ["kept 1", "kept 2", "sent now"]
    assert [m["subject"] for m in for_pat] == ["kept 1", "kept 2", "sent now"]
    assert for_pat[1]["to"] == ["lee@example.com", "Pat@Example.com"]
    assert for_old == []
    assert (store / "not-a-message.txt").exists()
