"""The Mongo read models on the real store: racing first writes, replays and stale updates."""

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from reporting_envelopes import desk_story

from reporting.adapters.agents import MongoAgentProfiles
from reporting.adapters.tickets import MongoTicketRows
from reporting.domain.agents import AgentProfile
from reporting.domain.changes import TicketChange, apply_change
from reporting.domain.projection import ticket_change
from reporting.domain.tickets import TicketRow
from support import Namespace
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(namespace: Namespace) -> AsyncIterator[AsyncDatabase]:
    client = mongo_client(namespace.servers.mongo_url, "reporting-tests")
    database = SerializedDatabase(client[namespace.database("reporting")])
    await database.detect()
    try:
        yield database
    finally:
        await client.close()


def changes_for(ticket_id: str) -> list[TicketChange]:
    return [
        TicketChange(
            ticket_id,
            "intake",
            1,
            state={"status": "new"},
            facts={"category": "billing"},
            earliest={"created_at": T0},
        ),
        TicketChange(
            ticket_id,
            "routing",
            1,
            state={"status": "queued", "assignment": None},
            earliest={"queued_at": T0 + timedelta(seconds=1)},
        ),
        TicketChange(
            ticket_id,
            "routing",
            2,
            state={"status": "open", "assignment": ASSIGNMENT},
            earliest={"assigned_at": T0 + timedelta(seconds=30)},
            members={"assignments": ASSIGNMENT},
        ),
        TicketChange(
            ticket_id,
            "notify",
            once=f"{ticket_id}-received",
            counts={"notifications": 1},
            earliest={"first_notified_at": T0 + timedelta(seconds=2)},
        ),
    ]


ASSIGNMENT = {
    "agent_id": "A-1",
    "agent_name": "Ada",
    "department": "finance",
    "skill": "billing",
    "assigned_at": T0 + timedelta(seconds=30),
}


async def test_events_racing_to_create_a_row_are_all_applied(db: AsyncDatabase):
    tickets = MongoTicketRows(db)
    ticket_ids = [f"T-{n}" for n in range(20)]
    changes = [change for ticket_id in ticket_ids for change in changes_for(ticket_id)]
    random.Random(3).shuffle(changes)
    await asyncio.gather(*(tickets.apply(change) for change in changes))

    for row in [await tickets.get(ticket_id) for ticket_id in ticket_ids]:
        assert row is not None
        assert (row.status.value, row.category, row.notifications) == ("open", "billing", 1)
        assert (row.created_at, row.first_notified_at) == (T0, T0 + timedelta(seconds=2))
        assert row.queued_at == T0 + timedelta(seconds=1)
        assert row.agent_id == "A-1"


async def test_a_replayed_change_is_reported_and_ignored(db: AsyncDatabase):
    tickets = MongoTicketRows(db)
    created, _, assigned, notified = changes_for("T-1")
    assert await tickets.apply(notified)
    assert not await tickets.apply(notified)
    assert await tickets.apply(assigned)
    assert not await tickets.apply(assigned)
    assert await tickets.apply(created)
    row = await tickets.get("T-1")
    assert row is not None
    assert (row.notifications, row.events_applied, row.status.value) == (1, 3, "open")


async def test_a_late_change_keeps_only_its_facts(db: AsyncDatabase):
    tickets = MongoTicketRows(db)
    _, queued, assigned, _ = changes_for("T-1")
    assert await tickets.apply(assigned)
    assert not await tickets.apply(queued)

    row = await tickets.get("T-1")
    assert row is not None
    assert (row.status.value, row.agent_id, row.events_applied) == ("open", "A-1", 1)
    assert row.queued_at == T0 + timedelta(seconds=1)


async def test_a_row_from_before_sequences_takes_its_first_sequenced_word(db: AsyncDatabase):
    await db["tickets"].insert_one(
        {"_id": "T-old", "status_rank": 1, "applied_events": ["e1", "e2"], "notifications": 1}
    )
    tickets = MongoTicketRows(db)
    _, _, assigned, notified = changes_for("T-old")
    assert await tickets.apply(assigned)
    assert await tickets.apply(notified)

    row = await tickets.get("T-old")
    assert row is not None
    assert (row.status.value, row.agent_id, row.notifications) == ("open", "A-1", 2)


async def test_the_newest_agent_profile_wins_whatever_the_order(db: AsyncDatabase):
    agents = MongoAgentProfiles(db)
    profiles = [
        AgentProfile(
            agent_id="A-1",
            name="Ada",
            department="finance",
            capacity=3,
            presence="available",
            active_tickets=n,
            updated_at=T0 + timedelta(seconds=n),
        )
        for n in range(8)
    ]
    random.Random(7).shuffle(profiles)
    await asyncio.gather(*(agents.keep_newest(profile) for profile in profiles))

    [kept] = await agents.list()
    assert (kept.active_tickets, kept.updated_at) == (7, T0 + timedelta(seconds=7))
    oldest = min(profiles, key=lambda profile: profile.updated_at)
    assert not await agents.keep_newest(oldest)


def folded(changes: list[TicketChange]) -> TicketRow:
    state = None
    for change in changes:
        state, _ = apply_change(state, change)
    assert state is not None
    return TicketRow.model_validate(state)


def desk_changes(ticket_id: str) -> list[TicketChange]:
    return [ticket_change(envelope, envelope.payload()) for envelope in desk_story(ticket_id)]


def facts_of(row: TicketRow) -> dict:
    """The row without what depends on arrival order, its members in one order."""
    dump = row.model_dump(exclude={"events_applied", "last_event_at"})
    for name in ("transitions", "messages", "transfers", "priorities", "consults", "assignments"):
        dump[name] = sorted(dump[name], key=repr)
    return dump


async def test_desk_events_shuffled_repeated_and_racing_give_the_domains_row(db: AsyncDatabase):
    tickets = MongoTicketRows(db)
    ticket_ids = [f"T-{n}" for n in range(6)]
    changes = [change for ticket_id in ticket_ids for change in desk_changes(ticket_id)] * 2
    random.Random(5).shuffle(changes)
    await asyncio.gather(*(tickets.apply(change) for change in changes))

    for ticket_id in ticket_ids:
        row = await tickets.get(ticket_id)
        assert row is not None
        assert facts_of(row) == facts_of(folded(desk_changes(ticket_id)))
        assert (row.status.value, row.reopens, row.handoffs[0].to_department) == (
            "open",
            1,
            "support",
        )
        assert (len(row.thread), row.current_priority, row.consulted) == (
            4,
            "urgent",
            {"C-1": {"open", "answered"}},
        )


async def test_a_desk_fact_taken_twice_is_reported_and_ignored(db: AsyncDatabase):
    tickets = MongoTicketRows(db)
    reply = desk_changes("T-1")[3]
    assert reply.once is not None
    assert await tickets.apply(reply)
    assert not await tickets.apply(reply)
    late_pending = desk_changes("T-1")[4]
    for change in desk_changes("T-1")[5:7]:
        assert await tickets.apply(change)
    assert not await tickets.apply(late_pending)

    row = await tickets.get("T-1")
    assert row is not None
    assert (row.status.value, len(row.thread), len(row.transitions)) == ("open", 2, 2)
    assert row.time_in_status == {"pending": 700.0}


class Commands(monitoring.CommandListener):
    """The names of the commands sent to one database."""

    def __init__(self, database: str) -> None:
        self.database, self.sent = database, []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database:
            self.sent.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_producers_first_word_on_an_existing_row_is_one_write(namespace: Namespace):
    name = namespace.database("reporting")
    commands = Commands(name)
    client = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[commands]
    )
    try:
        tickets = MongoTicketRows(client[name])
        created, queued, assigned, _ = changes_for("T-1")
        assert await tickets.apply(created)
        commands.sent.clear()

        assert await tickets.apply(queued)  # routing's first word: the row exists
        assert await tickets.apply(assigned)

        assert commands.sent == ["update", "update"]
        row = await tickets.get("T-1")
        assert row is not None and (row.status.value, row.events_applied) == ("open", 3)
    finally:
        await client.drop_database(name)
        await client.close()


async def test_a_lone_process_sends_one_command_per_event_after_reading_a_row_once(
    namespace: Namespace,
):
    name = namespace.database("reporting")
    commands = Commands(name)
    client = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[commands]
    )
    try:
        database = SerializedDatabase(client[name])
        if not await database.detect():
            pytest.skip("the store layer's reads happen on FerretDB with its workarounds only")
        tickets = MongoTicketRows(database)
        created, queued, assigned, _ = changes_for("T-1")
        assert await tickets.apply(created)
        assert commands.sent == ["insert"]  # a ticket's first event makes its row
        commands.sent.clear()

        assert await tickets.apply(queued)
        assert await tickets.apply(assigned)
        assert not await tickets.apply(queued)  # a repeat: its facts only
        assert commands.sent == ["update", "update", "update"]

        restarted = MongoTicketRows(database)  # knows no row: reads it again, once
        commands.sent.clear()
        assert not await restarted.apply(assigned)
        assert not await restarted.apply(created)
        assert commands.sent == ["find", "update", "update"]
        commands.sent.clear()
        queued_first = MongoTicketRows(database)  # another row: a routing event comes first
        later_created, early_queued, *_ = changes_for("T-2")
        assert await queued_first.apply(early_queued)
        assert await queued_first.apply(later_created)
        assert commands.sent == ["find", "update", "update"]
        row = await restarted.get("T-1")
        assert row is not None and (row.status.value, row.events_applied) == ("open", 3)
    finally:
        await client.drop_database(name)
        await client.close()


async def test_the_row_a_first_event_inserts_is_the_one_its_upsert_would_make(
    namespace: Namespace,
):
    client = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    try:
        lone = SerializedDatabase(client[namespace.database("reporting")])
        if not await lone.detect():
            pytest.skip("only a lone process on FerretDB inserts a first row")
        plain = client[namespace.database("reporting-upserts")]
        inserting, upserting = MongoTicketRows(lone), MongoTicketRows(plain)
        for change in changes_for("T-1"):
            assert await inserting.apply(change) == await upserting.apply(change)
            inserted = await lone["tickets"].find_one({"_id": "T-1"})
            upserted = await plain["tickets"].find_one({"_id": "T-1"})
            assert inserted == upserted
    finally:
        await client.drop_database(namespace.database("reporting"))
        await client.drop_database(namespace.database("reporting-upserts"))
        await client.close()
