"""A copy that died between electing its attempt and saving it blocks later copies only briefly."""

from datetime import datetime, timedelta

import pytest
from notify_helpers import Mailbox, created, new_ticket, running_notify
from pymongo import AsyncMongoClient

from notify.adapters import DELIVERY_ATTEMPTS
from notify.adapters.deliveries import MongoDeliveryRepository
from notify.domain.catalog import DEFAULT_TEMPLATES
from notify.domain.deliveries import Delivery
from notify.domain.templates import render, template_context
from notify.domain.threads import event_message_id
from notify.domain.tickets import TicketView
from notify.settings import NotifySettings
from support import BusProbe, Namespace
from ticketflow_shared.events import Envelope, utcnow

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"
LEASE_SECONDS = 2.0


@pytest.mark.parametrize("died_ago", [timedelta(minutes=5), timedelta(0)], ids=["stale", "fresh"])
async def test_a_redelivery_sends_once_after_a_crash_between_election_and_update(
    namespace: Namespace, bus_probe: BusProbe, died_ago: timedelta
) -> None:
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    died_at = utcnow() - died_ago
    overrides = {"send_lease_seconds": LEASE_SECONDS, "smtp_timeout": 1.0}
    async with running_notify(namespace, **overrides) as notify:
        await _crash_after_electing_attempt_2(namespace, event, died_at)
        await bus_probe.publish(event)
        await bus_probe.wait_for(SENT, ticket_id)

        delivery = (await notify.get(f"/notifications/{event.id}:email")).json()
        assert (delivery["status"], delivery["attempts"]) == ("sent", 3)  # #2 was skipped
        # A fresh election is waited out for its lease; a stale one does not block at all.
        sent_at = datetime.fromisoformat(delivery["sent_at"])
        assert sent_at >= died_at + timedelta(seconds=LEASE_SECONDS)

    [message] = await Mailbox(namespace.servers.smtp_api, address).messages()
    assert message["message_id"] == f"<{event.id}.{event.subject}@ticketflow.local>"
    assert len(bus_probe.of_type(SENT, ticket_id)) == 1


async def _crash_after_electing_attempt_2(
    namespace: Namespace, event: Envelope, died_at: datetime
) -> None:
    """Attempt 1's lease ran out; a copy took over, inserted `#2` at `died_at`, then died."""
    payload = event.payload()
    ticket = TicketView.from_created(payload)
    first_began = died_at - timedelta(seconds=LEASE_SECONDS)
    delivery = Delivery.for_event(
        event_id=event.id,
        event_type=event.type,
        template=event.type,
        ticket=ticket,
        email=render(DEFAULT_TEMPLATES[event.type], template_context(ticket, payload)),
        message_id=event_message_id(event.id, event.subject, "ticketflow.local"),
        now=first_began,
    )
    delivery.begin_attempt(first_began, timedelta(seconds=LEASE_SECONDS))
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    try:
        db = client[namespace.database("notify")]
        cipher = namespace.settings(NotifySettings, "notify").field_cipher()
        assert await MongoDeliveryRepository(db, cipher).add(delivery)
        await db[DELIVERY_ATTEMPTS].insert_one({"_id": f"{delivery.id}#2", "began_at": died_at})
    finally:
        await client.close()
