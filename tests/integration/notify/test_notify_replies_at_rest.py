"""Reply bodies are customer data: a raw read of notify's store shows none of them, and an
internal note is never stored at all."""

import logging
import uuid

import bson
import pytest
from notify_helpers import created, message_added, new_ticket, running_notify, wait_logged
from pymongo import AsyncMongoClient

from support import BusProbe, Namespace
from ticketflow_shared.events import Visibility

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"


async def raw_documents(namespace: Namespace) -> list[bytes]:
    """Every document of notify's database, as the BSON the store holds."""
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        db = client[namespace.database("notify")]
        return [
            bson.encode(doc)
            for name in await db.list_collection_names()
            async for doc in db[name].find({})
        ]
    finally:
        await client.close()


async def test_a_raw_read_of_notifys_store_shows_no_reply_or_note_text(
    namespace: Namespace, bus_probe: BusProbe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="notify.handlers")
    token = uuid.uuid4().hex[:10]
    reply_text, note_text = f"Your refund {token}R is on its way", f"Pat {token}N is angry"
    ticket_id, address = new_ticket()
    async with running_notify(namespace) as notify:
        await bus_probe.publish(created(ticket_id, address))
        await bus_probe.wait_for(SENT, ticket_id)
        note = message_added(ticket_id, note_text, visibility=Visibility.internal)
        await bus_probe.publish(note)
        await bus_probe.publish(message_added(ticket_id, reply_text))
        await bus_probe.wait_for(SENT, ticket_id, count=2)
        await wait_logged(caplog, note.data["message_id"], "stays inside")
        listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()

    raw = await raw_documents(namespace)
    assert raw, "the dump read nothing"
    for piece in (reply_text, f"{token}R", f"{token}N", address):
        assert not [doc for doc in raw if piece.encode() in doc], piece
    assert listed["data"][1]["body"].startswith(reply_text)
    assert (listed["count"], listed["data"][1]["recipient"]) == (2, address)
