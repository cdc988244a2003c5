"""The queue's service order on the real store: priority, then SLA due time (none last, one
moved up first), then age; and an SLA clock's due time reaching the queued ticket."""

from datetime import timedelta

import pytest
from routing_harness import T0, created_in, new_id, publish_all, routing_app

from routing.domain.tickets import MOVED_UP
from support import serve_in_process
from ticketflow_shared.events import Priority

pytestmark = pytest.mark.integration
SLA = {"targets": {"normal": {"first_response": 3600, "resolution": 86400}}}


async def test_the_queue_serves_priority_then_sla_due_then_age(namespace, bus_probe):
    ids = [new_id(name) for name in ("old", "soon", "later", "moved")]
    app = routing_app(namespace)
    async with serve_in_process(app):
        await publish_all(
            namespace, bus_probe, *(created_in("billing", t, m) for m, t in enumerate(ids))
        )
        queue = app.state.stores.queue
        old, soon, later, moved = ids
        await queue.set_sla_due(soon, T0 + timedelta(hours=1))
        await queue.set_sla_due(later, T0 + timedelta(hours=2))
        await queue.set_sla_due(moved, T0 + timedelta(hours=3))
        assert await queue.move_up(moved)
        assert not await queue.move_up(moved)  # moved up once; it keeps its place
        await queue.set_sla_due(moved, T0 + timedelta(minutes=5))  # a later change: still first
        order = [e.ticket.ticket_id for e in await queue.waiting(10)]
        assert order == [moved, soon, later, old]
        entry = await queue.get(moved)
        assert entry.ticket.due_rank == MOVED_UP
        doc = await queue.collection.find_one({"_id": moved})
        assert doc["sla_due"] == T0 + timedelta(minutes=5)
        await queue.reprioritize(old, Priority.urgent)
        assert next(e.ticket.ticket_id for e in await queue.waiting(10)) == old


async def test_a_queued_tickets_sla_clock_sets_its_due_time(namespace, bus_probe):
    ticket_id = new_id("TF-SLA")
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        assert (await http.put("/sla/policies/std", json=SLA)).status_code in (200, 201)
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        doc = await app.state.stores.queue.collection.find_one({"_id": ticket_id})
        assert doc["sla_due"] == T0 + timedelta(hours=1)
        assert doc["due_rank"] == doc["sla_due"]
