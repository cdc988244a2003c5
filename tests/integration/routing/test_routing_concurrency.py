"""Two routing processes on one queue: capacity holds and no ticket is assigned twice."""

import asyncio

import pytest
from routing_harness import (
    ASSIGNED,
    QUEUED,
    all_published_so_far,
    created,
    distinct_by_ticket,
    new_id,
    resolved,
    routing_app,
    routing_queue_drained,
)

from support import serve_in_process
from ticketflow_shared.events import Priority

pytestmark = pytest.mark.integration

CAPACITY, TICKETS = 3, 20


async def test_two_instances_never_overfill_an_agent_or_assign_a_ticket_twice(namespace, bus_probe):
    tickets = [new_id(f"T{n:02d}") for n in range(TICKETS)]
    priorities = list(Priority)
    async with (
        serve_in_process(routing_app(namespace)) as first,
        serve_in_process(routing_app(namespace)) as second,
    ):
        billing = {"name": "Bea", "skills": {"billing": 6}, "capacity": CAPACITY}
        await first.put("/agents/bea", json=billing)
        idle = {"name": "Ivo", "skills": {"shipping": 9}, "capacity": 50}
        await second.put("/agents/ivo", json=idle)

        await asyncio.gather(
            *(
                bus_probe.publish(created(ticket_id, priority=priorities[n % 4]))
                for n, ticket_id in enumerate(tickets)
            )
        )
        await bus_probe.wait_for(ASSIGNED, count=CAPACITY)
        await bus_probe.wait_for(QUEUED, count=TICKETS - CAPACITY)

        for http in (first, second):
            agent = (await http.get("/agents/bea")).json()
            assert len(agent["active_tickets"]) == CAPACITY and agent["free_slots"] == 0
            assert (await http.get("/agents/ivo")).json()["active_tickets"] == []
        queue = (await first.get("/queue", params={"limit": 100})).json()
        assert queue["count"] == TICKETS - CAPACITY

        # A resolve frees exactly one slot, which exactly one queued ticket takes.
        done = agent["active_tickets"][0]
        await bus_probe.publish(resolved(done, agent_id="bea"))
        await bus_probe.wait_for(ASSIGNED, count=CAPACITY + 1)
        head = (await second.get("/queue", params={"limit": 100})).json()
        assert head["count"] == TICKETS - CAPACITY - 1
    assert await routing_queue_drained(namespace)
    await all_published_so_far(bus_probe)

    assigned = distinct_by_ticket(bus_probe.of_type(ASSIGNED))
    queued = distinct_by_ticket(bus_probe.of_type(QUEUED))
    assert len(assigned) == CAPACITY + 1
    assert all(len(event_ids) == 1 for event_ids in assigned.values()), assigned
    assert all(len(event_ids) == 1 for event_ids in queued.values()), queued
    assert set(assigned) | set(queued) == set(tickets)
    assert {e.data["agent_id"] for e in bus_probe.of_type(ASSIGNED)} == {"bea"}
    async with serve_in_process(routing_app(namespace)) as http:
        agent = (await http.get("/agents/bea")).json()
        assert len(agent["active_tickets"]) == CAPACITY and done not in agent["active_tickets"]
