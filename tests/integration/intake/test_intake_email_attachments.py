"""Inbound email attachments on the real store: kept, listed on the ticket and its message,
downloaded as files with the ticket's access rules; the rest left out with a note."""

from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.policy import SMTP

import httpx
import pytest

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

RFC822 = {"Content-Type": "message/rfc822"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"0123456789\n" * 100


def mail(message_id: str, subject: str, *parts: tuple[str, str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Pat <pat@example.com>"
    msg["To"] = "support@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("See attached.")
    for filename, content_type, content in parts:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


@pytest.fixture
async def client(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    settings = namespace.settings(IntakeSettings, "intake").model_copy(
        update={"inbound_email_max_attachment_bytes": 2000}
    )
    async with serve_in_process(create_app(settings)) as http:
        yield http


async def test_attachments_are_kept_screened_and_downloaded(client):
    raw = mail(
        "<a-1@example.com>",
        "Broken screen",
        ("screen.png", "image/png", PNG),
        ("fake.png", "image/png", PDF),
        ("tool.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 60),
        ("huge.pdf", "application/pdf", PDF * 3),
    )
    first = await client.post("/channels/email", content=raw, headers=RFC822)
    assert first.status_code == 201, first.text
    body = first.json()
    [kept] = body["attachments"]
    assert (kept["filename"], kept["content_type"], kept["size"]) == (
        "screen.png",
        "image/png",
        len(PNG),
    )
    assert body["notes"] == [
        "attachment 'fake.png' left out: declared image/png but the content is application/pdf",
        "attachment 'tool.exe' left out: executable content is not accepted",
        f"attachment 'huge.pdf' left out: {len(PDF) * 3} bytes, over the 2000 byte limit per "
        "attachment",
    ]
    again = await client.post("/channels/email", content=raw, headers=RFC822)
    assert again.status_code == 200 and again.json()["attachments"] == [kept]
    ticket_id = body["ticket_id"]
    listed = (await client.get(f"/tickets/{ticket_id}/attachments")).json()
    assert listed == {"data": [{**kept, "message_id": None}], "count": 1}
    got = await client.get(f"/tickets/{ticket_id}/attachments/{kept['id']}")
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith('attachment; filename="screen.png"')
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_an_answers_attachment_is_listed_on_its_message(client):
    opened = await client.post(
        "/channels/email", content=mail("<a-2@example.com>", "Invoice"), headers=RFC822
    )
    ticket_id = opened.json()["ticket_id"]
    answer = mail(
        "<a-3@example.com>", f"Re: [{ticket_id}] Invoice", ("bill.pdf", "application/pdf", PDF)
    )
    posted = await client.post("/channels/email", content=answer, headers=RFC822)
    assert posted.status_code == 200, posted.text
    [message] = (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]
    assert message["id"] == posted.json()["message_id"]
    [ref] = message["attachments"]
    assert (ref["filename"], ref["content_type"], ref["size"]) == (
        "bill.pdf",
        "application/pdf",
        len(PDF),
    )
    got = await client.get(f"/tickets/{ticket_id}/attachments/{ref['id']}")
    assert got.content == PDF


async def test_attachments_follow_the_tickets_access_rules(client):
    raw = mail("<a-4@example.com>", "Photo", ("p.png", "image/png", PNG))
    body = (await client.post("/channels/email", content=raw, headers=RFC822)).json()
    ticket_id, attachment_id = body["ticket_id"], body["attachments"][0]["id"]
    stranger = headers("agent", departments=("no-such-department",), subject="stranger")
    for path in (
        f"/tickets/{ticket_id}/attachments",
        f"/tickets/{ticket_id}/attachments/{attachment_id}",
    ):
        assert (await client.get(path, headers=stranger)).status_code == 404
    other = await client.get(f"/tickets/{ticket_id}/attachments/A-000000000000000000000000")
    assert other.status_code == 404
    assert other.json()["detail"] == "attachment A-000000000000000000000000 not found"


async def test_malformed_mime_and_unknown_charsets_are_notes_or_4xx(client):
    broken = (
        b"From: pat@example.com\r\nSubject: odd\r\nMessage-ID: <a-5@example.com>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n"
        b"--zz\r\nContent-Type: image/png; name*=x-klingon''%FF%FE.png\r\n"
        b"Content-Disposition: attachment; filename*=x-klingon''%FF%FE.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--zz--\r\n"
    )
    answer = await client.post("/channels/email", content=broken, headers=RFC822)
    assert answer.status_code == 201, answer.text
    assert answer.json()["attachments"] == []
    assert any("x-klingon" in note for note in answer.json()["notes"])
    no_boundary = (
        b"From: pat@example.com\r\nMessage-ID: <a-6@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=never\r\n\r\nno parts here\r\n"
    )
    refused = await client.post("/channels/email", content=no_boundary, headers=RFC822)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body"]
    for n, sender in enumerate(("a..b@example.com", "a@-bad-.com", "x" * 300 + "@example.com")):
        odd = f"From: x <{sender}>\r\nSubject: s\r\nMessage-ID: <a-odd-{n}@x>\r\n\r\nb\r\n"
        answer = await client.post("/channels/email", content=odd.encode(), headers=RFC822)
        assert answer.status_code == 422, answer.text
        assert "is unusable" in answer.json()["detail"][0]["msg"]


async def test_an_attachment_at_the_default_limit_is_one_document_in_the_store(
    namespace: Namespace,
):
    settings = namespace.settings(IntakeSettings, "intake")
    limit = settings.inbound_email_max_attachment_bytes
    big = PNG + bytes(range(256)) * ((limit - len(PNG)) // 256)
    assert limit - 256 < len(big) <= limit
    raw = mail("<a-7@example.com>", "Big photo", ("big.png", "image/png", big))
    async with serve_in_process(create_app(settings)) as http:
        answer = await http.post("/channels/email", content=raw, headers=RFC822)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        [kept] = body["attachments"]
        got = await http.get(f"/tickets/{body['ticket_id']}/attachments/{kept['id']}")
    assert got.status_code == 200, got.text[:300]
    assert (kept["size"], len(got.content)) == (len(big), len(big))
    assert got.content == big


async def test_a_mail_joined_to_an_open_ticket_links_its_attachments_to_its_message(client):
    opened = await client.post(
        "/channels/email",
        content=mail("<d-1@example.com>", "Screen cracked on my tablet T-88"),
        headers=RFC822,
    )
    assert opened.status_code == 201, opened.text
    repeat = mail(
        "<d-2@example.com>", "Screen cracked on my tablet T-88", ("crack.png", "image/png", PNG)
    )
    joined = await client.post("/channels/email", content=repeat, headers=RFC822)
    assert joined.status_code == 200, joined.text
    ticket_id = opened.json()["ticket_id"]
    assert joined.json()["duplicate_of"] == ticket_id
    [kept] = joined.json()["attachments"]
    [message] = (await client.get(f"/tickets/{ticket_id}/messages")).json()["data"]
    assert [a["id"] for a in message["attachments"]] == [kept["id"]]
    listed = (await client.get(f"/tickets/{ticket_id}/attachments")).json()["data"]
    assert [(a["id"], a["message_id"]) for a in listed] == [(kept["id"], message["id"])]
    again = await client.post("/channels/email", content=repeat, headers=RFC822)
    assert again.status_code == 200, again.text
    assert len((await client.get(f"/tickets/{ticket_id}/attachments")).json()["data"]) == 1
