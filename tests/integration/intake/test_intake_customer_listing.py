"""Listing a customer's tickets on the real store: `_id` lookups only, and exact counts.

On FerretDB only a bare `{_id: v}` filter reaches SQLite's index; every other filter reads
the whole collection. The commands the repository sends are captured with PyMongo's
command monitoring.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from intake.adapters.customers import CUSTOMERS, MIGRATIONS, CustomerTickets
from intake.adapters.documents import to_document
from intake.adapters.tickets import MongoTicketRepository
from intake.bootstrap import create_app
from intake.domain.categories import CategoryRule
from intake.domain.customers import checked_customer
from intake.domain.ticket import Ticket, TicketStatus
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process
from ticketflow_shared.events import Channel
from ticketflow_shared.pii import FieldCipher
from ticketflow_shared.serialized import SerializedDatabase

pytestmark = pytest.mark.integration

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
GENERAL = CategoryRule("general")


class CommandLog(monitoring.CommandListener):
    """Every command sent to one database, as (name, collection, command)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database:
            command = dict(event.command)
            collection = command.get(event.command_name)
            self.sent.append((event.command_name, str(collection), command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Store:
    tickets: MongoTicketRepository
    customers: CustomerTickets
    log: CommandLog
    cipher: FieldCipher

    def key(self, email: str) -> str:
        """What a customer's tickets are filed under: the address's blind index."""
        return self.cipher.blind_index(email)


async def no_publishing(collection: Any, doc_id: Any, entries: list[dict]) -> None:
    """These tests look at the store alone; the outbox entries stay where they were written."""


@pytest.fixture
async def store(namespace: Namespace) -> AsyncIterator[Store]:
    log = CommandLog(namespace.database("intake"))
    client: AsyncMongoClient = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[log]
    )
    db = SerializedDatabase(client[namespace.database("intake")])
    await db.detect()
    customers = CustomerTickets(db[CUSTOMERS], db[MIGRATIONS])
    cipher = namespace.settings(IntakeSettings, "intake").field_cipher()
    tickets = MongoTicketRepository(db["tickets"], customers, no_publishing, cipher)
    yield Store(tickets, customers, log, cipher)
    await client.close()


def ticket(number: int, email: str) -> Ticket:
    return Ticket.create(
        ticket_id=f"TF-LIST{number:08d}",
        channel=Channel.web,
        customer=checked_customer(email, None),
        subject="Help",
        body="Please help.",
        rule=GENERAL,
        fields={},
        priority=None,
        now=T0 + timedelta(minutes=number),
    )


async def add(store: Store, *tickets: Ticket) -> list[str]:
    for each in tickets:
        await store.tickets.add(each)
    return [each.id for each in tickets]


async def test_a_customer_listing_finds_tickets_by_bare_id_only(store: Store):
    _, second, third = await add(store, *(ticket(n, "ada@example.com") for n in (1, 2, 3)))
    await add(store, ticket(4, "bob@example.com"), ticket(5, "bob@example.com"))
    resolved = await store.tickets.get(second)
    assert resolved is not None
    loaded_at = resolved.version
    resolved.resolve("Done", T0 + timedelta(hours=1))
    await store.tickets.save(resolved, loaded_at)
    store.log.sent.clear()

    newest, count = await store.tickets.find(status=None, customer_email="ADA@example.com", limit=2)
    done, done_count = await store.tickets.find(
        status=TicketStatus.solved, customer_email="ada@example.com", limit=50
    )

    assert ([t.id for t in newest], count) == ([third, second], 3)
    assert ([t.id for t in done], done_count) == ([second], 1)
    assert {name for name, _, _ in store.log.sent} == {"find"}
    filters = [command["filter"] for _, _, command in store.log.sent]
    assert all(list(f) == ["_id"] and isinstance(f["_id"], str) for f in filters), filters


async def test_a_long_history_lists_its_newest_without_reading_the_rest(store: Store):
    ids = await add(store, *(ticket(n, "ada@example.com") for n in range(40)))
    store.log.sent.clear()

    newest, count = await store.tickets.find(status=None, customer_email="ada@example.com", limit=3)

    assert ([t.id for t in newest], count) == (ids[::-1][:3], 40)
    ticket_reads = [c for name, coll, c in store.log.sent if name == "find" and coll == "tickets"]
    assert len(ticket_reads) <= 16  # one batch of lookups, not one per ticket filed


async def test_a_create_costs_one_write_more_filed_before_the_insert(store: Store):
    await store.tickets.add(ticket(1, "Ada@Example.com"))

    sent = [(name, collection) for name, collection, _ in store.log.sent]
    assert sent == [("update", CUSTOMERS), ("insert", "tickets")]
    [(_, _, update)] = [entry for entry in store.log.sent if entry[0] == "update"]
    assert [u["q"] for u in update["updates"]] == [{"_id": store.key("ada@example.com")}]


async def test_ids_without_a_ticket_or_of_another_customers_ticket_are_skipped(store: Store):
    [ada] = await add(store, ticket(1, "ada@example.com"))
    [bob] = await add(store, ticket(2, "bob@example.com"))
    # As a crash between filing and inserting leaves it, and as an id clash with bob's does.
    await store.customers.remember(store.key("ada@example.com"), "TF-NEVERINSERTED")
    await store.customers.remember(store.key("ada@example.com"), bob)

    found, count = await store.tickets.find(status=None, customer_email="ada@example.com", limit=9)

    assert ([t.id for t in found], count) == ([ada], 1)


async def test_an_unknown_customer_has_no_tickets(store: Store):
    await add(store, ticket(1, "ada@example.com"))
    assert await store.tickets.find(status=None, customer_email="eve@example.com", limit=9) == (
        [],
        0,
    )


TICKET = {
    "channel": "web",
    "customer": {"email": "ada@example.com"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "general",
}


async def test_a_replayed_create_files_its_ticket_once(namespace: Namespace, store: Store):
    app = create_app(namespace.settings(IntakeSettings, "intake"))
    headers = {"Idempotency-Key": "crm-7"}
    async with serve_in_process(app) as client:
        first = await client.post("/tickets", json=TICKET, headers=headers)
        again = await client.post("/tickets", json=TICKET, headers=headers)
        # Another problem of hers: a ticket of its own, not a duplicate joined to the first.
        other_problem = {**TICKET, "subject": "New address", "body": "I moved to 5 Elm St."}
        other = await client.post("/tickets", json=other_problem)
        listed = (await client.get("/tickets", params={"customer_email": "ada@example.com"})).json()

    assert (first.status_code, again.status_code) == (201, 200)
    ticket_ids = [first.json()["id"], other.json()["id"]]
    assert await store.customers.ticket_ids(store.key("ada@example.com")) == ticket_ids
    assert ([t["id"] for t in listed["data"]], listed["count"]) == (ticket_ids[::-1], 2)


async def test_tickets_stored_before_the_index_existed_are_filed_at_start(
    namespace: Namespace, store: Store
):
    old = [ticket(1, "ada@example.com"), ticket(2, "bob@example.com"), ticket(3, "ada@example.com")]
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    try:
        raw = client[namespace.database("intake")]["tickets"]
        await raw.insert_many([to_document(each, store.cipher) for each in old])
    finally:
        await client.close()

    app = create_app(namespace.settings(IntakeSettings, "intake"))
    async with serve_in_process(app) as http:
        listed = (await http.get("/tickets", params={"customer_email": "ada@example.com"})).json()

    assert [t["id"] for t in listed["data"]] == [old[2].id, old[0].id]
    assert await store.customers.ticket_ids(store.key("bob@example.com")) == [old[1].id]
    # Once built, a later start leaves the index to the creates.
    assert await store.customers.build_from(store.tickets.collection) == 0
