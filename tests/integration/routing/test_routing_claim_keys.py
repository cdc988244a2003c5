"""Claims keyed by ticket id on the real store: lookups by `_id`, and a later claim of the
same ticket safe from anything left over from an earlier one."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from routing_harness import (
    ASSIGNED,
    T0,
    RunsFirst,
    all_published_so_far,
    claim_then_crash,
    new_id,
    routing_app,
)

from routing import assigning, views
from routing.adapters.assignments import MongoAssignments
from routing.adapters.collections import ASSIGNMENTS, TICKETS
from routing.adapters.legacy_claims import key_claims_by_ticket
from routing.domain import Assignment, Resolution, RoutingTicket, SkillRequirement
from routing.ports import ClaimResult, Stores
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared import outbox
from ticketflow_shared.events import Priority
from ticketflow_shared.serialized import SerializedDatabase

pytestmark = pytest.mark.integration


class AssignmentFilters(monitoring.CommandListener):
    """The filter of every command sent to the assignments collection."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command, name = event.command, event.command_name
        if command.get(name) != ASSIGNMENTS:
            return
        if name in ("find", "count"):
            self.seen.append((name, dict(command.get("filter") or command.get("query") or {})))
        elif name in ("update", "delete"):
            for statement in command[f"{name}s"]:
                self.seen.append((name, dict(statement["q"])))
        elif name in ("aggregate", "findAndModify", "distinct"):
            self.seen.append((name, {"unexpected": True}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def monitored(namespace: Namespace) -> AsyncIterator[tuple[SerializedDatabase, list]]:
    """Routing's database through a client that records what it asks of the assignments."""
    listener = AssignmentFilters()
    client: AsyncMongoClient = AsyncMongoClient(
        namespace.servers.mongo_url, tz_aware=True, event_listeners=[listener]
    )
    db = SerializedDatabase(client[namespace.database("routing")])
    await db.detect()
    yield db, listener.seen
    await client.close()


def held_ticket(ticket_id: str) -> RoutingTicket:
    return RoutingTicket(ticket_id, "billing", Priority.normal, T0, SkillRequirement("billing"))


async def claim_again(stores: Stores, ticket_id: str, agent_id: str) -> ClaimResult:
    """Claim `ticket_id` for `agent_id` as a claimer that looked before a resolve landed."""
    agent = await views.agent(agent_id, stores)
    claimed = agent.assign(held_ticket(ticket_id), stores.now())
    return await stores.assignments.claim(claimed, assigning.recorded(agent.pull_events()))


async def test_every_look_at_a_tickets_claim_is_an_id_lookup(namespace, bus_probe, monitored):
    db, seen = monitored
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/ivy", json={"name": "Ivy", "skills": {"billing": 5}, "capacity": 2})
        assignments = MongoAssignments(db[ASSIGNMENTS], app.state.runtime.publish_outbox)
        stores = dataclasses.replace(app.state.stores, assignments=assignments)
        ticket = held_ticket(new_id("T"))
        await stores.tickets.add(ticket, stores.now())

        assert await assigning.route(ticket, stores) is assigning.Outcome.assigned
        assert await assigning.assign(ticket, stores) is assigning.Outcome.taken
        assert await claim_again(stores, ticket.ticket_id, "ivy") is ClaimResult.ticket_taken
        assert (await views.ticket(ticket.ticket_id, stores)).agent_id == "ivy"
        await stores.resolutions.record(Resolution(ticket.ticket_id, "ivy", T0), [], T0)
        released = await assigning.release(ticket.ticket_id, stores)
        assert released is not None and released.agent_id == "ivy"
        assert await stores.assignments.of_ticket(ticket.ticket_id) is None
    [event] = await bus_probe.wait_for(ASSIGNED, subject=ticket.ticket_id)
    assert event.data["agent_id"] == "ivy"

    # An agent's load is read by agent id (a scan on FerretDB, not this change's business).
    by_ticket = [(name, query) for name, query in seen if set(query) != {"agent_id"}]
    assert {name for name, _ in by_ticket} == {"find", "update", "delete"}
    for name, query in by_ticket:
        assert isinstance(query.get("_id"), str), (name, query)
        assert "ticket_id" not in query, (name, query)
        if db.serialize:  # FerretDB: only a bare `_id` filter reaches SQLite as a lookup
            assert set(query) == {"_id"}, (name, query)


async def test_a_late_retry_of_an_earlier_claims_publish_leaves_a_later_claim_alone(namespace):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/jo", json={"name": "Jo", "skills": {"billing": 5}})
        stores, runtime = app.state.stores, app.state.runtime
        await runtime.scheduler.stop()  # the relay retries when this test says, not on its own
        ticket_id = await claim_then_crash(app, "jo")
        # Nothing is bound to ticket.assigned yet, so this publish fails and the relay will
        # retry it by `_id`, which is the ticket id.
        await stores.assignments.announce(ticket_id, stores.now())
        assert (ASSIGNMENTS, ticket_id) in runtime.relay._failed
        first = await runtime.db[ASSIGNMENTS].find_one({"_id": ticket_id})
        assert first["announced"] is True and first["outbox"]
        # Another instance publishes and frees that claim; a claimer that looked before the
        # ticket was resolved claims it again.
        await runtime.db[ASSIGNMENTS].delete_one({"_id": ticket_id})
        assert await claim_again(stores, ticket_id, "jo") is ClaimResult.claimed
        later = await runtime.db[ASSIGNMENTS].find_one({"_id": ticket_id})

        probe = BusProbe(namespace)
        await probe.start()
        try:
            await runtime.relay.retry_failed()
            await all_published_so_far(probe)
            assert probe.of_type(ASSIGNED, ticket_id) == []
            assert await runtime.db[ASSIGNMENTS].find_one({"_id": ticket_id}) == later
            assert later["announced"] is False and len(later["held_events"]) == 2

            await stores.assignments.announce(ticket_id, stores.now())
            [event] = await probe.wait_for(ASSIGNED, subject=ticket_id)
            assert event.id == later["held_events"][0]["id"]
        finally:
            await probe.close()


async def test_a_late_release_of_an_earlier_claim_does_not_delete_a_later_one(namespace, bus_probe):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/kai", json={"name": "Kai", "skills": {"billing": 5}})
        stores, runtime = app.state.stores, app.state.runtime
        ticket_id = await claim_then_crash(app, "kai")
        await stores.assignments.announce(ticket_id, stores.now())
        await stores.resolutions.record(Resolution(ticket_id, "kai", T0), [], T0)

        async def freed_and_claimed_again() -> None:
            await runtime.db[ASSIGNMENTS].delete_one({"ticket_id": ticket_id})
            assert await claim_again(stores, ticket_id, "kai") is ClaimResult.claimed

        collection = RunsFirst(runtime.db[ASSIGNMENTS], "delete_one", freed_and_claimed_again)
        late = MongoAssignments(collection, runtime.publish_outbox)

        assert await late.release(ticket_id, no_events, stores.now()) is None

        later = await runtime.db[ASSIGNMENTS].find_one({"ticket_id": ticket_id})
        assert later is not None and later["announced"] is False
        assert (await http.get("/agents/kai")).json()["active_tickets"] == [ticket_id]


async def no_events(assignment: Any) -> list:
    return []


async def test_claims_stored_under_a_random_id_are_moved_under_their_ticket(namespace, bus_probe):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/lu", json={"name": "Lu", "skills": {"billing": 5}, "capacity": 3})
        stores, runtime = app.state.stores, app.state.runtime
        assignments = runtime.db[ASSIGNMENTS]
        await assignments.create_index("ticket_id", unique=True, name="one_holder_per_ticket")
        announced, unannounced = new_id("T"), new_id("T")
        agent = await views.agent("lu", stores)
        for ticket_id in (announced, unannounced):
            await stores.tickets.add(held_ticket(ticket_id), stores.now())
            await stores.tickets.mark_routed(ticket_id)
            claimed = agent.assign(held_ticket(ticket_id), stores.now())
            entries = [outbox.outbox_entry(e) for e in assigning.recorded(agent.pull_events())]
            is_announced = ticket_id == announced
            await assignments.insert_one(
                {
                    **_layout_before_keys(claimed),
                    "announced": is_announced,
                    "outbox": [] if is_announced else entries,
                }
            )

        assert await key_claims_by_ticket(runtime.db) == 2
        assert await key_claims_by_ticket(runtime.db) == 0

        for ticket_id in (announced, unannounced):
            doc = await assignments.find_one({"_id": ticket_id})
            assert doc is not None and doc["claim"]
            assert (await stores.assignments.of_ticket(ticket_id)).agent_id == "lu"
            assert await stores.tickets.is_routed(ticket_id)
        moved = await assignments.find_one({"_id": unannounced})
        assert len(moved["held_events"]) == 2 and "outbox" not in moved
        assert await runtime.db[TICKETS].count_documents({"routed": False}) == 0

        await stores.assignments.announce(unannounced, stores.now())
        [event] = await bus_probe.wait_for(ASSIGNED, subject=unannounced)
        assert event.data["agent_id"] == "lu"
        held = (await http.get("/agents/lu")).json()["active_tickets"]
        assert sorted(held) == sorted([announced, unannounced])


def _layout_before_keys(claimed: Assignment) -> dict:
    """A claim document as routing wrote it while claims had a fresh random `_id`."""
    return {
        "_id": uuid.uuid4().hex,
        "ticket_id": claimed.ticket_id,
        "agent_id": claimed.agent_id,
        "slot": claimed.slot,
        "skill": claimed.skill,
        "skill_level": claimed.skill_level,
        "assigned_at": claimed.assigned_at,
    }
