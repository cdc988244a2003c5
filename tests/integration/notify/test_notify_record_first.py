"""An email the mail server accepted is recorded before the delivery writes queued behind it.

Until that record lands, a crash sends the email again; on FerretDB every delivery write of
the process takes its turn, and under a backlog most of the queue is new deliveries' inserts.
"""

import asyncio
from datetime import timedelta

import pytest
from notify_helpers import created, new_ticket

from notify.adapters import DELIVERIES
from notify.adapters.deliveries import MongoDeliveryRepository
from notify.domain.deliveries import Delivery, DeliveryStatus
from notify.domain.templates import RenderedEmail
from notify.domain.threads import event_message_id
from notify.domain.tickets import TicketView
from notify.handlers import SOURCE
from notify.settings import NotifySettings
from support import Namespace
from ticketflow_shared import outbox
from ticketflow_shared.events import utcnow
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client

pytestmark = pytest.mark.integration
QUEUED_INSERTS = 5


def _delivery() -> Delivery:
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    now = utcnow()
    delivery = Delivery.for_event(
        event_id=event.id,
        event_type=event.type,
        template=event.type,
        ticket=TicketView.from_created(event.payload()),
        email=RenderedEmail(subject="We received your request", body="Thanks."),
        message_id=event_message_id(event.id, ticket_id, "ticketflow.local"),
        now=now,
    )
    delivery.begin_attempt(now, timedelta(seconds=30))
    return delivery


async def test_a_sends_record_goes_before_the_delivery_inserts_queued_in_the_process(
    namespace: Namespace,
) -> None:
    client = mongo_client(namespace.servers.mongo_url, "notify-tests")
    db = SerializedDatabase(client[namespace.database("notify")])
    try:
        if not await db.detect():
            pytest.skip("only on FerretDB do a process's writes of a collection take turns")
        cipher = namespace.settings(NotifySettings, "notify").field_cipher()
        deliveries = MongoDeliveryRepository(db, cipher)
        sent = _delivery()
        assert await deliveries.add(sent)
        sent.mark_sent(utcnow(), "250 OK")
        envelopes = outbox.recorded_events(sent.events, source=SOURCE, subject=sent.ticket_id)
        landed: list[str] = []

        async def insert(n: int) -> None:
            assert await deliveries.add(_delivery())
            landed.append(f"insert {n}")

        async def record() -> None:
            assert await deliveries.save_sent(sent, envelopes)
            landed.append("record")

        # As under a backlog: a delivery write under way, new deliveries' inserts waiting.
        async with db.lock_for(DELIVERIES):
            writes = [asyncio.create_task(insert(n)) for n in range(QUEUED_INSERTS)]
            await asyncio.sleep(0.05)
            writes.append(asyncio.create_task(record()))
            await asyncio.sleep(0.05)
            assert landed == []
        await asyncio.gather(*writes)

        assert landed[0] == "record"
        assert len(landed) == QUEUED_INSERTS + 1
        stored = await deliveries.get(sent.id)
        assert stored is not None and stored.status is DeliveryStatus.sent
    finally:
        await client.close()
