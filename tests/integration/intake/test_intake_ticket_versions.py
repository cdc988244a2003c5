"""A lone process on FerretDB knows the tickets it wrote or read: its compare-and-set reads
nothing first where it knows the stored version, a read of a ticket it knows sends nothing
and gives what the store holds, and a save from a stale read still fails."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from intake.adapters.customers import CUSTOMERS, MIGRATIONS, CustomerTickets
from intake.adapters.tickets import MongoTicketRepository
from intake.domain.categories import CategoryRule
from intake.domain.customers import checked_customer
from intake.domain.errors import ConcurrentUpdate
from intake.domain.ticket import Ticket
from intake.settings import IntakeSettings
from support import Namespace
from ticketflow_shared.events import Channel, Priority
from ticketflow_shared.serialized import SerializedDatabase

pytestmark = pytest.mark.integration
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class TicketCommands(monitoring.CommandListener):
    """The commands sent to one database's tickets, by name."""

    def __init__(self, database: str) -> None:
        self.database, self.sent = database, []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database and event.command.get(event.command_name) == (
            "tickets"
        ):
            self.sent.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def no_publishing(collection: Any, doc_id: Any, entries: list[dict]) -> None:
    """The outbox stays where it was written: these tests look at the compare-and-set."""


@pytest.fixture
async def store(namespace: Namespace) -> AsyncIterator[tuple[SerializedDatabase, TicketCommands]]:
    commands = TicketCommands(namespace.database("intake"))
    client: AsyncMongoClient = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[commands]
    )
    db = SerializedDatabase(client[namespace.database("intake")])
    if not await db.detect():
        await client.close()
        pytest.skip("the store layer reads before a compare-and-set on FerretDB only")
    yield db, commands
    await client.close()


def repository(db: SerializedDatabase, namespace: Namespace) -> MongoTicketRepository:
    cipher = namespace.settings(IntakeSettings, "intake").field_cipher()
    customers = CustomerTickets(db[CUSTOMERS], db[MIGRATIONS])
    return MongoTicketRepository(db["tickets"], customers, no_publishing, cipher)


def new_ticket() -> Ticket:
    return Ticket.create(
        ticket_id="TF-VERS0001",
        channel=Channel.web,
        customer=checked_customer("ada@example.com", None),
        subject="Help",
        body="Please help.",
        rule=CategoryRule("general"),
        fields={},
        priority=None,
        now=T0,
    )


async def raised(tickets: MongoTicketRepository, ticket: Ticket, priority: Priority) -> None:
    expected = ticket.version
    assert ticket.change_priority_tags(priority=priority, actor="ana", now=T0 + timedelta(1))
    await tickets.save(ticket, expected)


async def test_a_save_after_this_process_wrote_or_read_the_ticket_reads_nothing_first(
    store, namespace: Namespace
):
    db, commands = store
    tickets = repository(db, namespace)
    ticket = new_ticket()
    await tickets.add(ticket)
    commands.sent.clear()

    await raised(tickets, ticket, Priority.high)  # known from the insert
    loaded = await tickets.get(ticket.id)  # known from the save: no read
    assert loaded is not None
    await raised(tickets, loaded, Priority.urgent)
    assert commands.sent == ["update", "update"]

    restarted = repository(db, namespace)  # knows nothing yet: learns from its read
    commands.sent.clear()
    again = await restarted.get(ticket.id)
    assert again is not None and again.priority is Priority.urgent
    await raised(restarted, again, Priority.low)
    assert commands.sent == ["find", "update"]


async def test_a_known_ticket_reads_as_the_store_holds_it(store, namespace: Namespace):
    db, commands = store
    tickets = repository(db, namespace)
    ticket = new_ticket()
    await tickets.add(ticket)
    assert await tickets.get(ticket.id) == await repository(db, namespace).get(ticket.id)
    await raised(tickets, ticket, Priority.high)
    commands.sent.clear()
    known = await tickets.get(ticket.id)
    assert commands.sent == []
    stored = await repository(db, namespace).get(ticket.id)
    assert known == stored
    assert known is not None and (known.priority, known.version) == (Priority.high, 2)


async def test_a_save_from_a_stale_read_still_fails(store, namespace: Namespace):
    db, commands = store
    tickets = repository(db, namespace)
    await tickets.add(new_ticket())
    first, second = await tickets.get("TF-VERS0001"), await tickets.get("TF-VERS0001")
    assert first is not None and second is not None and first is not second
    await raised(tickets, first, Priority.high)
    assert second.priority is not Priority.high  # a copy: the save changed no other reader's
    commands.sent.clear()

    with pytest.raises(ConcurrentUpdate):
        await raised(tickets, second, Priority.urgent)
    assert commands.sent == ["find"]  # not vouched for: the layer checked, and found it moved
    stored = await tickets.get("TF-VERS0001")
    assert stored is not None and (stored.priority, stored.version) == (Priority.high, 2)
