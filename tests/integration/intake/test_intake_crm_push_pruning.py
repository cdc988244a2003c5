"""The CRM push ledger on the real store: entries are forgotten once the retention has passed,
a batch at a time by their indexed `at`, and a redelivery after that is taken anew."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from intake_apps import intake_app
from pymongo import AsyncMongoClient, monitoring

from intake import crm_handlers
from intake.adapters.crm_pushes import CRM_PUSHES, MongoCrmPushes
from support import Namespace, serve_in_process
from ticketflow_shared.bulk import BULK_LIMIT

pytestmark = pytest.mark.integration

KEPT = timedelta(days=30)


def push(event_id: str, **ticket: object) -> dict:
    body: dict = {
        "event_id": event_id,
        "system": "SalesCRM",
        "customer": {"external_id": "0031", "name": "Pat Lee", "email": "pat@example.com"},
    }
    if ticket:
        body["ticket"] = {
            "case_id": "5001",
            "subject": "Invoice wrong",
            "body": "The March invoice lists two seats.",
            "category": "billing",
            "fields": {"order_id": "A-7"},
            **ticket,
        }
    return body


class Deletes(monitoring.CommandListener):
    """How many ids each `delete` sent to the ledger names."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "delete" and event.command.get("delete") == CRM_PUSHES:
            for statement in event.command["deletes"]:
                self.sizes.append(len(statement["q"]["_id"]["$in"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_old_entries_go_in_batches_and_recent_ones_stay(namespace: Namespace) -> None:
    async with serve_in_process(intake_app(namespace)):
        pass  # its start made the ledger's indexes
    deletes = Deletes()
    store: AsyncMongoClient = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[deletes]
    )
    try:
        collection = store[namespace.database("intake")][CRM_PUSHES]
        indexes = (await collection.index_information()).values()
        assert [("at", 1)] in [index["key"] for index in indexes]
        now = datetime(2026, 12, 1, tzinfo=UTC)
        old = [
            {
                "_id": f"crm:salescrm:old-{n}",
                "fingerprint": "f",
                "at": now - KEPT - timedelta(hours=n + 1),
            }
            for n in range(2 * BULK_LIMIT + 20)
        ]
        # Finished, and one left unfinished by a process that died mid-push.
        for doc in old[:-1]:
            doc.update(customer_id="C-1", ticket_id=None)
        recent = [
            {
                "_id": "crm:salescrm:recent",
                "fingerprint": "f",
                "at": now - KEPT + timedelta(minutes=1),
            },
            {"_id": "crm:salescrm:today", "fingerprint": "f", "at": now, "customer_id": "C-1"},
            {"_id": "crm:salescrm:edge", "fingerprint": "f", "at": now - KEPT},  # not before it
        ]
        for start in range(0, len(old), BULK_LIMIT):
            await collection.insert_many(old[start : start + BULK_LIMIT])
        await collection.insert_many(recent)

        forgotten = await crm_handlers.forget_old_pushes(MongoCrmPushes(collection), now, KEPT)
        left = sorted([doc["_id"] async for doc in collection.find({}, {"_id": 1})])
    finally:
        await store.close()

    assert forgotten == len(old)
    assert left == ["crm:salescrm:edge", "crm:salescrm:recent", "crm:salescrm:today"]
    assert deletes.sizes and max(deletes.sizes) <= BULK_LIMIT


async def test_a_push_redelivered_after_the_retention_is_taken_anew(namespace: Namespace) -> None:
    app = intake_app(namespace)
    async with serve_in_process(app) as client:
        first = await client.post("/channels/crm", json=push("evt-1", subject="Invoice wrong"))
        assert first.status_code == 201, first.text
        replayed = await client.post("/channels/crm", json=push("evt-1", subject="Invoice wrong"))
        assert replayed.json() == {**first.json(), "replayed": True}

        pushes = app.state.crm_pushes
        later = datetime.now(UTC) + KEPT + timedelta(minutes=1)
        assert await crm_handlers.forget_old_pushes(pushes, later, KEPT) == 1

        # Taken as new: the customer is written again, the ticket is still not made twice.
        again = await client.post("/channels/crm", json=push("evt-1", subject="Invoice wrong"))
        assert again.status_code == 200, again.text
        assert again.json() == {**first.json(), "replayed": True}
        tickets = await client.get("/tickets", params={"customer_email": "pat@example.com"})
        assert tickets.json()["count"] == 1


async def test_the_scheduled_sweep_deletes_what_is_past_the_retention(namespace: Namespace) -> None:
    app = intake_app(namespace, crm_push_retention_days=1, crm_push_sweep_seconds=0.1)
    async with serve_in_process(app):
        collection = app.state.runtime.db[CRM_PUSHES]
        now = datetime.now(UTC)
        await collection.insert_many(
            [
                {"_id": "crm:salescrm:old", "fingerprint": "f", "at": now - timedelta(days=2)},
                {"_id": "crm:salescrm:new", "fingerprint": "f", "at": now},
            ]
        )
        for _ in range(100):
            if await collection.find_one({"_id": "crm:salescrm:old"}) is None:
                break
            await asyncio.sleep(0.1)
        left = [doc["_id"] async for doc in collection.find({}, {"_id": 1})]
    assert left == ["crm:salescrm:new"]
