"""A customer's new request that intake joined to their open ticket: one email naming the
ticket it went to, in the ticket's thread; a plain customer message sends nothing."""

import pytest
from notify_helpers import Mailbox, created, message_added, new_ticket, running_notify

from support import BusProbe, Namespace
from ticketflow_shared.events import AuthorKind, Envelope

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"


def joined(ticket_id: str) -> Envelope:
    plain = message_added(ticket_id, "Charged twice again", author_kind=AuthorKind.customer)
    payload = plain.payload().model_copy(update={"joined": "duplicate"})
    return Envelope.wrap(payload, source="/ticketflow/intake", subject=ticket_id)


async def test_a_joined_request_tells_the_customer_the_existing_reference(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    mailbox = Mailbox(namespace.servers.smtp_api, address)
    async with running_notify(namespace) as notify:
        await bus_probe.publish(created(ticket_id, address))
        await bus_probe.wait_for(SENT, ticket_id)
        plain = message_added(ticket_id, "One more detail", author_kind=AuthorKind.customer)
        await bus_probe.publish(plain)
        event = joined(ticket_id)
        await bus_probe.publish(event)
        await bus_probe.publish(event)
        await bus_probe.wait_for(SENT, ticket_id, count=2)
        listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()

    messages = await mailbox.wait_for(2)
    [notice] = [m for m in messages if m["subject"].startswith("We added")]
    assert notice["subject"] == f"We added your message to [{ticket_id}]: Invoice charged twice"
    assert f"so we added your message to {ticket_id} instead of opening" in notice["text"]
    assert notice["in_reply_to"]  # in the thread of the ticket's first email
    assert [n["event_type"] for n in listed["data"]] == [
        "ticket.created.v1",
        "ticket.message_added.v1",
    ]
    assert len(await mailbox.messages()) == 2
