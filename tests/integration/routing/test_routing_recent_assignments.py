"""An agent's recent assignment times on the real store: concurrent notes all count, and the
old ones are dropped once enough of them have piled up."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from routing_harness import T0

from routing.adapters.agents import RECENT_WINDOW, TRIM_AT, MongoAgents
from routing.domain import Agent
from support import Namespace
from ticketflow_shared.events import Presence
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client

pytestmark = pytest.mark.integration


async def no_publish(*_: object) -> None:
    """The agent's events are not under test here."""


@pytest.fixture
async def agents(namespace: Namespace) -> AsyncIterator[MongoAgents]:
    client = mongo_client(namespace.servers.mongo_url, "routing-tests")
    db = SerializedDatabase(client[namespace.database("routing")])
    await db.detect()
    yield MongoAgents(db["agents"], no_publish)
    await client.drop_database(namespace.database("routing"))
    await client.close()


async def added(agents: MongoAgents) -> Agent:
    agent = Agent.register(
        "ana",
        name="Ana",
        department="billing",
        skills={"billing": 5},
        capacity=3,
        presence=Presence.available,
        now=T0,
    )
    assert await agents.add(agent, [], T0)
    return agent


async def test_notes_made_at_once_from_one_read_all_count(agents):
    agent = await added(agents)
    times = [T0 + timedelta(seconds=i) for i in range(5)]

    await asyncio.gather(*(agents.note_assigned(agent, at) for at in times))

    stored = await agents.get("ana")
    assert sorted(stored.recent_assignments) == times
    assert stored.assigned_since(T0 - timedelta(seconds=1)) == 5
    assert stored.last_assigned_at in times


async def test_old_times_are_dropped_once_the_agent_holds_enough_of_them(agents):
    agent = await added(agents)
    old = [T0 - RECENT_WINDOW - timedelta(minutes=i) for i in range(TRIM_AT - 1)]
    for at in reversed(old):
        await agents.note_assigned(agent, at)
    recent = T0 - timedelta(minutes=1)
    await agents.note_assigned(agent, recent)
    piled = await agents.get("ana")
    assert len(piled.recent_assignments) == TRIM_AT

    await agents.note_assigned(piled, T0)

    stored = await agents.get("ana")
    assert stored.recent_assignments == (recent, T0)
    assert stored.last_assigned_at == T0
