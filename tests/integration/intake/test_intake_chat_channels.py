"""Chat webhooks on the real store: one ticket per conversation, each event once, Slack signed."""

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from intake.bootstrap import create_app
from intake.domain.chat_signatures import slack_signature
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

SECRET = "test-signing-secret"


def _chat(event_id: str, text: str, conversation: str = "conv-1") -> dict:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "workspace": "acme",
        "user": {"id": "U-7", "name": "Pat"},
        "text": text,
        "sent_at": "2026-12-02T10:00:00Z",
    }


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    settings = namespace.settings(IntakeSettings, "intake")
    return create_app(settings.model_copy(update={"slack_signing_secret": SecretStr(SECRET)}))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def _thread(client: httpx.AsyncClient, ticket_id: str) -> list[str]:
    found = await client.get(f"/tickets/{ticket_id}/messages")
    return [m["body"] for m in found.json()["data"]]


async def test_two_messages_of_one_conversation_make_one_ticket(client):
    first = await client.post("/channels/chat", json=_chat("e-1", "My card was charged twice"))
    second = await client.post("/channels/chat", json=_chat("e-2", "Order A-1001"))
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    ticket_id = first.json()["ticket_id"]
    assert second.json()["ticket_id"] == ticket_id
    ticket = (await client.get(f"/tickets/{ticket_id}")).json()
    assert ticket["channel"] == "chat"
    assert ticket["body"] == "My card was charged twice"
    assert ticket["customer"]["customer_id"].startswith("C-")
    assert "Order A-1001" in await _thread(client, ticket_id)


async def test_a_redelivered_event_returns_the_same_ticket_and_message(client):
    await client.post("/channels/chat", json=_chat("e-1", "Hello"))
    first = await client.post("/channels/chat", json=_chat("e-2", "Still there?"))
    again = await client.post("/channels/chat", json=_chat("e-2", "Still there?"))
    opened_again = await client.post("/channels/chat", json=_chat("e-1", "Hello"))
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["message_id"] == first.json()["message_id"]
    assert opened_again.status_code == 200
    assert opened_again.json()["ticket_id"] == first.json()["ticket_id"]
    assert (await _thread(client, first.json()["ticket_id"])).count("Still there?") == 1


async def test_concurrent_first_messages_make_one_ticket(app, namespace):
    # Two processes of intake on one store, as the README says to run them.
    settings = app.state.intake_settings.model_copy(update={"store_cross_process_locks": True})
    async with (
        serve_in_process(create_app(settings)) as client,
        serve_in_process(create_app(settings)) as other,
    ):
        answers = await asyncio.gather(
            client.post("/channels/chat", json=_chat("c-1", "First", "race")),
            other.post("/channels/chat", json=_chat("c-2", "Second", "race")),
        )
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
        assert answers[0].json()["ticket_id"] == answers[1].json()["ticket_id"]
        ticket_id = answers[0].json()["ticket_id"]
        ticket = (await client.get(f"/tickets/{ticket_id}")).json()
        said = {ticket["body"], *await _thread(client, ticket_id)}
    assert {"First", "Second"} <= said


async def test_after_the_close_the_conversation_goes_on_in_a_new_ticket(app, client):
    first = await client.post("/channels/chat", json=_chat("e-1", "Broken"))
    old_id = first.json()["ticket_id"]
    stored = await app.state.tickets.get(old_id)
    stored.status = stored.status.__class__("closed")
    await app.state.tickets.save(stored, stored.version)

    back = await client.post("/channels/chat", json=_chat("e-2", "Broken again"))
    later = await client.post("/channels/chat", json=_chat("e-3", "Any news?"))

    new_id = back.json()["ticket_id"]
    assert new_id != old_id
    assert later.json()["ticket_id"] == new_id
    assert (await client.get(f"/tickets/{new_id}")).json()["follow_up_of"] == old_id
    assert "Any news?" in await _thread(client, new_id)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"event_id": "bad id"}, "event_id"),
        ({"user": {"name": "no id"}}, "user"),
        ({"workspace": None}, "workspace"),
        ({"user": {"id": ":", "name": "Pat"}}, "user id must be"),
        ({"text": "card\x00charged"}, "control characters"),
        ({"user": {"id": "u-1", "name": "Pat\nLee"}}, "control characters"),
        ({"user": {"id": "u-1", "email": "j\u00f6rg@example.com"}}, "must be ASCII"),
    ],
)
async def test_a_bad_chat_payload_is_a_422_naming_the_field(client, change, named):
    answer = await client.post("/channels/chat", json={**_chat("e-9", "hi"), **change})
    assert answer.status_code == 422
    assert named in answer.text
    assert isinstance(answer.json()["detail"], list)  # the shape every 422 has


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"workspace": "acme:eu"}, ["body", "workspace"]),
        ({"user": {"id": ":", "name": "Pat"}}, ["body", "user", "id"]),
    ],
)
async def test_an_id_that_cannot_name_the_customer_is_a_422_naming_it(client, change, loc):
    answer = await client.post("/channels/chat", json={**_chat("e-9", "hi"), **change})
    assert answer.status_code == 422, answer.text
    assert [problem["loc"] for problem in answer.json()["detail"]] == [loc]


async def test_the_chat_webhook_needs_credentials(app):
    async with serve_in_process(app, headers={}) as anonymous:
        answer = await anonymous.post("/channels/chat", json=_chat("e-1", "hi"))
    assert answer.status_code == 401


def _signed(body: bytes, at: int | None = None, secret: str = SECRET) -> dict:
    stamp = str(at if at is not None else int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(secret, stamp, body),
        "Content-Type": "application/json",
    }


def _slack(event_id: str, text: str, **event: object) -> bytes:
    message = {
        "type": "message",
        "channel": "D024BE91L",
        "user": "U2147483697",
        "text": text,
        "ts": "1355517523.000005",
        **event,
    }
    envelope = {
        "type": "event_callback",
        "team_id": "T061EG9R6",
        "event_id": event_id,
        "event": message,
    }
    return json.dumps(envelope).encode()


async def _slack_post(app: FastAPI, body: bytes, headers: dict) -> httpx.Response:
    """As Slack: no credentials, on an app whose lifespan runs already (or not at all)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as slack:
        return await slack.post("/channels/slack/events", content=body, headers=headers)


async def test_slacks_url_verification_gets_its_challenge_back(app, client):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2r"}).encode()
    answer = await _slack_post(app, body, _signed(body))
    assert answer.status_code == 200 and answer.json() == {"challenge": "3eZbrw1aBm2r"}


async def test_a_slack_thread_is_one_ticket_and_a_retry_adds_nothing(app, client):
    first = _slack("Ev1", "Cannot log in")
    reply = _slack("Ev2", "Since this morning", ts="1355517600.1", thread_ts="1355517523.000005")
    opened = await _slack_post(app, first, _signed(first))
    joined = await _slack_post(app, reply, _signed(reply))
    retried = await _slack_post(app, reply, {**_signed(reply), "X-Slack-Retry-Num": "1"})
    assert opened.status_code == 201, opened.text
    assert joined.json()["ticket_id"] == opened.json()["ticket_id"]
    assert (
        retried.status_code == 200 and retried.json()["message_id"] == joined.json()["message_id"]
    )
    ticket = (await client.get(f"/tickets/{opened.json()['ticket_id']}")).json()
    assert ticket["customer"]["customer_id"].startswith("C-")
    assert (await _thread(client, ticket["id"])).count("Since this morning") == 1


async def test_slacks_bot_messages_and_edits_are_acknowledged_and_ignored(app, client):
    for body in (_slack("Ev3", "beep", bot_id="B1"), _slack("Ev4", "x", subtype="message_changed")):
        answer = await _slack_post(app, body, _signed(body))
        assert answer.status_code == 200 and answer.json() == {"ignored": True}


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-Slack-Signature": "v0=" + "0" * 64}, "does not match"),
        ({"X-Slack-Request-Timestamp": str(int(time.time()) - 600)}, "5 minutes"),
        ({"X-Slack-Signature": None}, "required"),
    ],
)
async def test_a_bad_or_stale_slack_signature_is_a_401_saying_why(app, client, headers, why):
    body = _slack("Ev5", "hi")
    sent = {k: v for k, v in {**_signed(body), **headers}.items() if v is not None}
    if "X-Slack-Request-Timestamp" in headers:  # signed, but long ago
        sent = _signed(body, at=int(headers["X-Slack-Request-Timestamp"]))
    answer = await _slack_post(app, body, sent)
    assert answer.status_code == 401 and why in answer.text


async def test_malformed_slack_json_is_a_400(app, client):
    body = b'{"type": "event_callback", '
    answer = await _slack_post(app, body, _signed(body))
    assert answer.status_code == 400 and "not JSON" in answer.text


async def test_without_a_signing_secret_the_slack_endpoint_is_404(namespace):
    off = create_app(namespace.settings(IntakeSettings, "intake"))
    body = _slack("Ev6", "hi")
    answer = await _slack_post(off, body, _signed(body))
    assert answer.status_code == 404


async def test_someone_else_in_the_conversation_gets_a_ticket_of_their_own(client):
    pat = await client.post("/channels/chat", json=_chat("e-30", "Export fails", "conv-30"))
    other = _chat("e-31", "Please refund my order B-77", "conv-30")
    other["user"] = {"id": "U-8", "name": "Mallory"}
    mallory = await client.post("/channels/chat", json=other)
    assert pat.status_code == mallory.status_code == 201, mallory.text
    assert mallory.json()["ticket_id"] != pat.json()["ticket_id"]
    pats = (await client.get(f"/tickets/{pat.json()['ticket_id']}")).json()
    theirs = (await client.get(f"/tickets/{mallory.json()['ticket_id']}")).json()
    assert theirs["customer"]["name"] == "Mallory"
    assert theirs["customer"]["customer_id"] != pats["customer"]["customer_id"]
    assert "Please refund my order B-77" not in await _thread(client, pats["id"])


async def test_a_slack_direct_message_conversation_is_one_ticket(app, client):
    first = _slack("Ev40", "Export fails with E42", channel="D0DM40", channel_type="im")
    later = _slack("Ev41", "are you there?", channel="D0DM40", channel_type="im", ts="1355517999.1")
    opened = await _slack_post(app, first, _signed(first))
    joined = await _slack_post(app, later, _signed(later))
    assert opened.status_code == joined.status_code == 201, joined.text
    assert joined.json()["ticket_id"] == opened.json()["ticket_id"]
    assert "are you there?" in await _thread(client, opened.json()["ticket_id"])
