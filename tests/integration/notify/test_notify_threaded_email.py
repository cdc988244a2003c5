"""Agents' public replies reach the customer as threaded email, against the real broker, store
and SMTP catcher; internal notes and customer messages never leave."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from notify_helpers import (
    Catcher,
    Mailbox,
    assigned,
    created,
    message_added,
    new_ticket,
    own_catcher,
    resolved,
    running_notify,
    status_changed,
)
from pymongo import AsyncMongoClient

from support import BusProbe, Namespace
from ticketflow_shared.events import AuthorKind, Envelope, TicketStatus, Visibility

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"
DOMAIN = "mail.ticketflow.test"


@pytest.fixture
async def catcher(tmp_path: Path) -> AsyncIterator[Catcher]:
    async with own_catcher(tmp_path / "smtp") as started:
        yield started


@pytest.fixture
async def notify(namespace: Namespace, catcher: Catcher) -> AsyncIterator[httpx.AsyncClient]:
    async with running_notify(
        namespace, smtp_port=catcher.smtp_port, message_id_domain=DOMAIN
    ) as client:
        yield client


async def send(bus_probe: BusProbe, event: Envelope, count: int) -> None:
    """Publish and wait until the ticket has `count` emails sent."""
    await bus_probe.publish(event)
    await bus_probe.wait_for(SENT, event.subject, count=count)


async def test_public_replies_are_threaded_and_notes_and_customer_messages_stay_inside(
    notify: httpx.AsyncClient, catcher: Catcher, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    first, given = created(ticket_id, address), assigned(ticket_id)
    await send(bus_probe, first, 1)
    await send(bus_probe, given, 2)
    reply = message_added(ticket_id, "We refunded the second charge.")
    await send(bus_probe, reply, 3)
    note = message_added(ticket_id, "Customer is grumpy", visibility=Visibility.internal)
    customer = message_added(ticket_id, "Thanks!", author_kind=AuthorKind.customer)
    await bus_probe.publish(note)
    await bus_probe.publish(customer)
    second = message_added(ticket_id, "It shows within 3 days.")
    await send(bus_probe, second, 4)

    root = f"<{first.id}.{first.subject}@{DOMAIN}>"
    hello = f"<{given.id}.{given.subject}@{DOMAIN}>"
    reply_id = f"<{reply.data['message_id']}.{ticket_id}@{DOMAIN}>"
    second_id = f"<{second.data['message_id']}.{ticket_id}@{DOMAIN}>"
    mails = await Mailbox(catcher.api, address).wait_for(4)
    assert [(m["message_id"], m["in_reply_to"], m["references"]) for m in mails] == [
        (root, "", []),
        (hello, root, [root]),
        (reply_id, hello, [root, hello]),
        (second_id, reply_id, [root, hello, reply_id]),
    ]
    assert all(f"[{ticket_id}]" in m["subject"] for m in mails)
    assert mails[2]["subject"] == f"[{ticket_id}] Re: Invoice charged twice"
    assert mails[2]["text"].startswith("We refunded the second charge.\n")
    assert ["In-Reply-To", hello] in mails[2]["headers"]
    assert all(["Auto-Submitted", "auto-generated"] in m["headers"] for m in mails)
    assert not any("grumpy" in m["text"] or "Thanks!" in m["text"] for m in mails)

    listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()
    assert [(n["template"], n["message_id"], n["in_reply_to"]) for n in listed["data"]] == [
        ("ticket.created.v1", root, None),
        ("ticket.assigned.v1", hello, root),
        ("reply", reply_id, hello),
        ("reply", second_id, reply_id),
    ]
    assert listed["data"][3]["references"] == [root, hello, reply_id]
    for quiet in (note, customer):
        assert (await notify.get(f"/notifications/{quiet.id}:email")).status_code == 404
    assert len(bus_probe.of_type(SENT, ticket_id)) == 4


async def test_a_redelivered_reply_sends_nothing_twice_and_keeps_the_thread(
    notify: httpx.AsyncClient, catcher: Catcher, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    await send(bus_probe, created(ticket_id, address), 1)
    reply = message_added(ticket_id, "Done.")
    await send(bus_probe, reply, 2)
    await bus_probe.publish(reply)
    await send(bus_probe, resolved(ticket_id), 3)

    mails = await Mailbox(catcher.api, address).wait_for(3)
    assert len(mails) == 3
    reply_id = f"<{reply.data['message_id']}.{ticket_id}@{DOMAIN}>"
    assert [m["message_id"] for m in mails].count(reply_id) == 1
    assert mails[2]["in_reply_to"] == reply_id  # the copy added nothing to the thread
    assert len(bus_probe.of_type(SENT, ticket_id)) == 3


async def test_status_emails_follow_their_templates_and_solved_sends_none(
    namespace: Namespace, notify: httpx.AsyncClient, catcher: Catcher, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    await send(bus_probe, created(ticket_id, address), 1)
    pending = status_changed(ticket_id, TicketStatus.pending)
    await send(bus_probe, pending, 2)
    on_hold = status_changed(ticket_id, TicketStatus.on_hold, TicketStatus.pending)
    solved = status_changed(ticket_id, TicketStatus.solved, TicketStatus.on_hold)
    await bus_probe.publish(on_hold)
    await bus_probe.publish(solved)
    await send(bus_probe, resolved(ticket_id), 3)

    switched = await notify.put(
        "/templates/status.on_hold",
        json={"subject": "On hold", "body": "Waiting on the bank.", "enabled": True},
    )
    assert switched.status_code == 200, switched.text
    off = {"subject": "s", "body": "b", "enabled": False}
    assert (await notify.put("/templates/status.pending", json=off)).status_code == 200
    assert (await notify.put("/templates/reply", json=off)).status_code == 422
    assert (await notify.put("/templates/status.solved", json=off)).status_code == 404
    await bus_probe.publish(status_changed(ticket_id, TicketStatus.pending))
    await send(bus_probe, status_changed(ticket_id, TicketStatus.on_hold), 4)

    mails = await Mailbox(catcher.api, address).wait_for(4)
    assert [m["subject"] for m in mails] == [
        f"We received your request [{ticket_id}]: Invoice charged twice",
        f"We need something from you [{ticket_id}]: Invoice charged twice",
        f"Your request [{ticket_id}] has been resolved",
        f"[{ticket_id}] On hold",
    ]
    assert mails[1]["in_reply_to"] == mails[0]["message_id"]
    assert mails[3]["in_reply_to"] == mails[2]["message_id"]
    for quiet in (on_hold, solved):
        assert (await notify.get(f"/notifications/{quiet.id}:email")).status_code == 404
    assert len(bus_probe.of_type(SENT, ticket_id)) == 4
    stored = await stored_templates(namespace)
    assert (stored["status.pending"]["enabled"], stored["status.on_hold"]["enabled"]) == (
        False,
        True,
    )
    assert stored["status.open"]["enabled"] is False  # seeded, switched off


async def stored_templates(namespace: Namespace) -> dict[str, dict]:
    """The templates as the store holds them, past any process's cache."""
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        found = client[namespace.database("notify")]["templates"].find({})
        return {doc["_id"]: doc async for doc in found}
    finally:
        await client.close()


async def test_a_ticket_from_before_threads_answers_its_old_acknowledgement(
    namespace: Namespace, catcher: Catcher, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    first = created(ticket_id, address)
    async with running_notify(namespace, smtp_port=catcher.smtp_port, message_id_domain=DOMAIN):
        await send(bus_probe, first, 1)
    await forget_thread(namespace, ticket_id)  # as notify stored it before keeping threads
    async with running_notify(namespace, smtp_port=catcher.smtp_port, message_id_domain=DOMAIN):
        await send(bus_probe, message_added(ticket_id, "Back to you."), 2)

    ack, reply = await Mailbox(catcher.api, address).wait_for(2)
    assert ack["message_id"] == f"<{first.id}.{first.subject}@{DOMAIN}>"
    # Before threads were kept, an acknowledgement's Message-ID did not name its ticket.
    old_ack = f"<{first.id}.email@{DOMAIN}>"
    assert (reply["in_reply_to"], reply["references"]) == (old_ack, [old_ack])


async def forget_thread(namespace: Namespace, ticket_id: str) -> None:
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        tickets = client[namespace.database("notify")]["tickets"]
        result = await tickets.update_one({"_id": ticket_id}, {"$unset": {"thread": ""}})
        assert result.modified_count == 1
        assert "thread" not in await tickets.find_one({"_id": ticket_id})
    finally:
        await client.close()
