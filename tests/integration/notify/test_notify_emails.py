"""Notify against real RabbitMQ, FerretDB/MongoDB and the SMTP catcher: one email per event."""

import logging

import pytest
from notify_helpers import (
    Mailbox,
    assigned,
    created,
    new_ticket,
    resolved,
    running_notify,
    wait_logged,
)

from support import BusProbe, Namespace

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"


async def test_created_then_assigned_send_one_email_each(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    mailbox = Mailbox(namespace.servers.smtp_api, address)
    async with running_notify(namespace) as notify:
        assert (await notify.get("/readyz")).status_code == 200
        first, second = created(ticket_id, address), assigned(ticket_id)
        await bus_probe.publish(first)
        await bus_probe.wait_for(SENT, ticket_id)
        await bus_probe.publish(second)
        sent = await bus_probe.wait_for(SENT, ticket_id, count=2)

        messages = await mailbox.wait_for(2)
        assert sorted(m["subject"] for m in messages) == [
            f"We received your request [{ticket_id}]: Invoice charged twice",
            f"Your request [{ticket_id}] is now with Ana Lopez (billing)",
        ]
        assert {m["message_id"] for m in messages} == {
            f"<{first.id}.{first.subject}@ticketflow.local>",
            f"<{second.id}.{second.subject}@ticketflow.local>",
        }
        for message in messages:
            assert ["Auto-Submitted", "auto-generated"] in message["headers"]
            assert ["X-Auto-Response-Suppress", "All"] in message["headers"]
        assert [e.data["cause_event_id"] for e in sent] == [first.id, second.id]
        assert {e.data["recipient"] for e in sent} == {address}

        listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()
        assert listed["count"] == 2
        assert [(n["event_type"], n["status"], n["attempts"]) for n in listed["data"]] == [
            ("ticket.created.v1", "sent", 1),
            ("ticket.assigned.v1", "sent", 1),
        ]
        assert all(n["recipient"] == address and n["sent_at"] for n in listed["data"])

        one = await notify.get(f"/notifications/{first.id}:email")
        assert one.status_code == 200
        assert one.json()["message_id"] == f"<{first.id}.{first.subject}@ticketflow.local>"
        assert (await notify.get("/notifications/nope:email")).status_code == 404
    assert len(bus_probe.of_type(SENT, ticket_id)) == 2


async def test_the_same_created_published_twice_sends_one_email(
    namespace: Namespace, bus_probe: BusProbe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    async with running_notify(namespace):
        await bus_probe.publish(event)
        await bus_probe.publish(event)
        await bus_probe.wait_for(SENT, ticket_id)
        # The second copy is absorbed by the inbox or, if both ran at once, by the delivery.
        await wait_logged(caplog, event.id, "already")

    assert len(await Mailbox(namespace.servers.smtp_api, address).messages()) == 1
    assert len(bus_probe.of_type(SENT, ticket_id)) == 1


async def test_a_redelivery_after_the_email_was_sent_sends_nothing_more(
    namespace: Namespace, bus_probe: BusProbe, caplog: pytest.LogCaptureFixture
) -> None:
    """notify keeps no inbox: the delivery document, keyed by the event, remembers."""
    caplog.set_level(logging.INFO)
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    async with running_notify(namespace):
        await bus_probe.publish(event)
        await bus_probe.wait_for(SENT, ticket_id)
        await bus_probe.publish(event)
        await wait_logged(caplog, f"delivery {event.id}:email already sent")

    assert len(await Mailbox(namespace.servers.smtp_api, address).messages()) == 1
    assert len(bus_probe.of_type(SENT, ticket_id)) == 1


@pytest.mark.concurrent
async def test_assigned_before_created_is_delivered_once_created_arrives(
    namespace: Namespace, bus_probe: BusProbe, caplog: pytest.LogCaptureFixture
) -> None:
    ticket_id, address = new_ticket()
    early = assigned(ticket_id)
    # Enough redeliveries that the early event outlives the wait below.
    async with running_notify(namespace, max_delivery_attempts=30) as notify:
        await bus_probe.publish(early)
        failure = await wait_logged(caplog, "handler failed", early.id)
        assert "not known yet" in str(failure.exc_info[1])

        await bus_probe.publish(created(ticket_id, address))
        await bus_probe.wait_for(SENT, ticket_id, count=2)
        await bus_probe.publish(resolved(ticket_id))
        await bus_probe.wait_for(SENT, ticket_id, count=3)

        listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()
        assert sorted(n["event_type"] for n in listed["data"]) == [
            "ticket.assigned.v1",
            "ticket.created.v1",
            "ticket.resolved.v1",
        ]
        assert {n["status"] for n in listed["data"]} == {"sent"}

    subjects = sorted(
        m["subject"] for m in await Mailbox(namespace.servers.smtp_api, address).messages()
    )
    assert subjects == [
        f"We received your request [{ticket_id}]: Invoice charged twice",
        f"Your request [{ticket_id}] has been resolved",
        f"Your request [{ticket_id}] is now with Ana Lopez (billing)",
    ]
