"""Mail server down -> failed delivery and a dead letter; templates edited over HTTP."""

import socket

import aio_pika
import pytest
from notify_helpers import Mailbox, created, new_ticket, poll, running_notify

from support import BusProbe, Namespace

pytestmark = pytest.mark.integration


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def dead_letters(namespace: Namespace) -> int:
    connection = await aio_pika.connect(namespace.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            f"{namespace.queue_prefix}notify.events.dlq", passive=True
        )
        return queue.declaration_result.message_count or 0


async def test_smtp_outage_leaves_a_failed_delivery_and_a_dead_letter(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    async with running_notify(
        namespace, smtp_port=closed_port(), max_delivery_attempts=2
    ) as notify:
        await bus_probe.publish(event)

        async def delivery() -> dict:
            return (await notify.get(f"/notifications/{event.id}:email")).json()

        failed = await poll(delivery, lambda d: d.get("attempts") == 2 and d["status"] == "failed")
        assert failed["error"]
        assert failed["sent_at"] is None
        assert await poll(lambda: dead_letters(namespace), lambda n: n == 1) == 1

    assert bus_probe.of_type("notification.sent.v1", ticket_id) == []
    assert await Mailbox(namespace.servers.smtp_api, address).messages() == []


async def test_templates_are_seeded_validated_edited_and_used(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id, address = new_ticket()
    async with running_notify(namespace) as notify:
        listed = (await notify.get("/templates")).json()
        assert listed["count"] == 14
        assert {t["event_type"]: t["enabled"] for t in listed["data"]} == {
            "ticket.created.v1": True,
            "ticket.assigned.v1": True,
            "ticket.resolved.v1": True,
            "reply": True,
            "status.pending": True,
            "status.on_hold": False,
            "status.open": False,
            "status.closed": False,
            "page.escalated": True,
            "page.sla_breached": True,
            "ticket.escalated.v1": False,
            "sla.warning.v1": False,
            "sla.breached.v1": False,
            "joined": True,
        }
        assert all(t["updated_at"] is None for t in listed["data"])

        bad_syntax = await notify.put(
            "/templates/ticket.created.v1", json={"subject": "{% if %}", "body": "ok"}
        )
        assert bad_syntax.status_code == 422
        assert bad_syntax.json()["detail"][0]["loc"] == ["body", "subject"]
        unknown_name = await notify.put(
            "/templates/ticket.created.v1", json={"subject": "ok", "body": "{{ agent.name }}"}
        )
        assert unknown_name.status_code == 422
        assert unknown_name.json()["detail"][0]["loc"] == ["body", "body"]
        missing_body = await notify.put("/templates/ticket.created.v1", json={"subject": "ok"})
        assert missing_body.status_code == 422
        assert missing_body.json()["detail"][0]["loc"] == ["body", "body"]
        not_notified = await notify.put(
            "/templates/ticket.queued.v1", json={"subject": "s", "body": "b"}
        )
        assert not_notified.status_code == 404
        assert (await notify.get("/templates/ticket.queued.v1")).status_code == 404

        edited = await notify.put(
            "/templates/ticket.created.v1",
            json={"subject": "Got it: {{ ticket.reference }}", "body": "Hi {{ customer.name }}"},
        )
        assert edited.status_code == 200
        assert edited.json()["updated_at"] is not None

        await bus_probe.publish(created(ticket_id, address))
        await bus_probe.wait_for("notification.sent.v1", ticket_id)
        [message] = await Mailbox(namespace.servers.smtp_api, address).wait_for(1)
        assert message["subject"] == f"[{ticket_id}] Got it: {ticket_id}"
        assert message["text"].strip() == "Hi Jane Doe"

    async with running_notify(namespace) as restarted:  # seeding keeps the edit
        kept = (await restarted.get("/templates/ticket.created.v1")).json()
        assert kept["subject"] == "Got it: {{ ticket.reference }}"
