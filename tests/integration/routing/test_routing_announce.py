"""Claims against the real store: held back until announced, and recovered after a crash."""

from datetime import timedelta

import pytest
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    T0,
    all_published_so_far,
    claim_then_crash,
    created,
    eventually,
    handled,
    new_id,
    resolved,
    routing_app,
)

from routing import assigning
from routing.adapters.collections import ASSIGNMENTS
from routing.domain import Resolution
from support import serve_in_process

pytestmark = pytest.mark.integration


async def test_a_claim_waits_for_its_announce_and_a_crashed_one_is_announced(namespace, bus_probe):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/cal", json={"name": "Cal", "skills": {"billing": 5}, "capacity": 2})
        await bus_probe.wait_for(AGENT_UPDATED, subject="cal")
        ticket_id = await claim_then_crash(app, "cal")
        runtime = app.state.runtime
        doc = await runtime.db[ASSIGNMENTS].find_one({"_id": ticket_id})
        # Held apart from the outbox, where neither the relay's sweep nor its retries look.
        assert doc["announced"] is False and len(doc["held_events"]) == 2
        assert "outbox" not in doc and "outbox_since" not in doc

        runtime.relay.grace = timedelta(0)
        await runtime.relay.sweep()
        await all_published_so_far(bus_probe)
        assert bus_probe.of_type(ASSIGNED, ticket_id) == []

        assert await assigning.announce_stale(app.state.stores, timedelta(0), limit=10) == 1

        [event] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        assert event.data["agent_id"] == "cal"
        await all_published_so_far(bus_probe)
        newest = max(bus_probe.of_type(AGENT_UPDATED, "cal"), key=lambda e: e.data["updated_at"])
        assert newest.data["active_tickets"] == 1
        ticket = (await http.get(f"/tickets/{ticket_id}")).json()
        assert (ticket["status"], ticket["agent_id"]) == ("open", "cal")


async def test_a_crashed_claim_on_a_resolved_ticket_is_withdrawn_unpublished(namespace, bus_probe):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/dee", json={"name": "Dee", "skills": {"billing": 5}})
        ticket_id = await claim_then_crash(app, "dee")
        await app.state.stores.resolutions.record(Resolution(ticket_id, None, T0), [], T0)

        await assigning.announce_stale(app.state.stores, timedelta(0), limit=10)

        assert (await http.get("/agents/dee")).json()["active_tickets"] == []
    await all_published_so_far(bus_probe)
    assert bus_probe.of_type(ASSIGNED, ticket_id) == []


async def test_the_agents_load_is_announced_on_assign_and_once_per_resolve(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await http.put("/agents/eve", json={"name": "Eve", "skills": {"billing": 5}})
        await bus_probe.publish(created(ticket_id))
        await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        # The same resolve twice under different event ids: the inbox cannot tell them apart.
        resolves = [resolved(ticket_id, agent_id="eve"), resolved(ticket_id, agent_id="eve")]
        for envelope in resolves:
            await bus_probe.publish(envelope)
        await eventually(lambda: handled(namespace, [e.id for e in resolves]))
    await all_published_so_far(bus_probe)

    loads = {e.id: e for e in bus_probe.of_type(AGENT_UPDATED, "eve")}.values()
    in_order = sorted(loads, key=lambda e: e.data["updated_at"])
    assert [e.data["active_tickets"] for e in in_order] == [0, 1, 0]
