"""Freeing slots against the real store: announce and release racing, and the sweep's release."""

import dataclasses
from typing import Any

import pytest
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    T0,
    RunsFirst,
    all_published_so_far,
    claim_then_crash,
    created,
    eventually,
    new_id,
    resolved,
    routing_app,
)

from routing import assigning, handlers
from routing.adapters.assignments import MongoAssignments
from routing.adapters.collections import ASSIGNMENTS
from routing.adapters.outboxes import EventsNotPublished
from routing.domain import Resolution
from support import BusProbe, serve_in_process

pytestmark = pytest.mark.integration


def loads(probe: BusProbe, agent_id: str) -> list[int]:
    distinct = {e.id: e for e in probe.of_type(AGENT_UPDATED, agent_id)}.values()
    return [e.data["active_tickets"] for e in sorted(distinct, key=lambda e: e.data["updated_at"])]


async def test_a_claim_released_before_its_announce_lands_is_never_announced(namespace, bus_probe):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/fay", json={"name": "Fay", "skills": {"billing": 5}})
        ticket_id = await claim_then_crash(app, "fay")
        stores, runtime = app.state.stores, app.state.runtime
        await stores.resolutions.record(Resolution(ticket_id, None, T0), [], T0)
        collection = RunsFirst(
            runtime.db[ASSIGNMENTS], "update_one", lambda: assigning.release(ticket_id, stores)
        )

        await MongoAssignments(collection, runtime.publish_outbox).announce(
            ticket_id, runtime.clock.now()
        )

        assert await runtime.db[ASSIGNMENTS].find_one({"ticket_id": ticket_id}) is None
        assert (await http.get("/agents/fay")).json()["active_tickets"] == []
    await all_published_so_far(bus_probe)
    assert bus_probe.of_type(ASSIGNED, ticket_id) == []
    assert loads(bus_probe, "fay") == [0]


async def test_a_claim_announced_before_its_release_lands_is_released_with_its_load(
    namespace, bus_probe
):
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await http.put("/agents/gil", json={"name": "Gil", "skills": {"billing": 5}})
        ticket_id = await claim_then_crash(app, "gil")
        stores, runtime = app.state.stores, app.state.runtime
        collection = RunsFirst(
            runtime.db[ASSIGNMENTS],
            "delete_one",
            lambda: stores.assignments.announce(ticket_id, stores.now()),
        )
        racing = MongoAssignments(collection, runtime.publish_outbox)

        released = await assigning.release(
            ticket_id, dataclasses.replace(stores, assignments=racing)
        )

        assert released is not None and released.agent_id == "gil"
        assert (await http.get("/agents/gil")).json()["active_tickets"] == []
    [event] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
    assert event.data["agent_id"] == "gil"
    await all_published_so_far(bus_probe)
    assert loads(bus_probe, "gil") == [0, 1, 0]


async def test_the_sweep_frees_a_resolved_tickets_slot_once_its_events_go_out(namespace, bus_probe):
    app = routing_app(namespace, stale_after_seconds=0.3)
    first, second = new_id("T"), new_id("T")
    async with serve_in_process(app) as http:
        await http.put("/agents/hal", json={"name": "Hal", "skills": {"billing": 5}})
        await bus_probe.publish(created(first))
        await bus_probe.wait_for(ASSIGNED, subject=first)
        await bus_probe.publish(created(second))
        await bus_probe.wait_for("ticket.queued.v1", subject=second)
        stores, runtime = app.state.stores, app.state.runtime

        async def bus_refuses(collection: Any, doc_id: Any, entries: list[dict]) -> None:
            """Like a returned mandatory publish: the entries stay in the outbox."""

        stores.assignments.publish = bus_refuses
        resolve = resolved(first, agent_id="hal").payload()
        for _ in range(3):  # each delivery fails, then the resolve is dead-lettered
            with pytest.raises(EventsNotPublished):
                await handlers.ticket_resolved(resolve, stores)
        assert (await http.get("/agents/hal")).json()["active_tickets"] == [first]

        stores.assignments.publish = runtime.publish_outbox

        await bus_probe.wait_for(ASSIGNED, subject=second)
        agent = await eventually(lambda: _holding(http, "hal", [second]))
        assert agent["active_tickets"] == [second]
    await all_published_so_far(bus_probe)
    assert loads(bus_probe, "hal") == [0, 1, 0, 1]


async def _holding(http: Any, agent_id: str, tickets: list[str]) -> dict | None:
    agent = (await http.get(f"/agents/{agent_id}")).json()
    return agent if agent["active_tickets"] == tickets else None
