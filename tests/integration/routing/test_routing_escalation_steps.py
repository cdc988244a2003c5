"""Escalation steps on the real servers: a waiting ticket's step fires once though two
routing processes (each its own store client and timers) race for it, relaxes the needs so
an agent of a lower level gets the ticket, and shows on the ticket."""

import asyncio

import pytest
from routing_harness import (
    ASSIGNED,
    T0,
    all_published_so_far,
    created_in,
    eventually,
    new_id,
    publish_all,
    put_agent,
    routing_app,
)

from routing import escalation
from routing.adapters.collections import ESCALATIONS
from routing.domain.escalation import timers_for
from support import serve_in_process
from ticketflow_shared.events import Envelope, EscalationTrigger, Priority, TicketEscalatedV1
from ticketflow_shared.timers import Timer

pytestmark = pytest.mark.integration
ESCALATED = "ticket.escalated.v1"
RELAX_AND_PAGE = {
    "required": {"billing": 6},
    "steps": [
        {"after_seconds": 1, "lower_levels_by": 3, "page_supervisor": True},
        {"after_seconds": 600, "raise_priority": "urgent"},
    ],
}
FAST = {"sla_poll_seconds": 0.2, "sla_horizon_seconds": 2.0}


async def assigned_decision(http, ticket_id: str) -> dict:
    """The decision that assigned `ticket_id`: the claim's event may be on the bus a moment
    before the decision that explains it is stored."""

    async def read():
        decision = (await http.get(f"/tickets/{ticket_id}/routing")).json()
        return decision if decision.get("chosen") else None

    return await eventually(read)


async def test_a_step_fires_once_across_two_processes_and_a_lower_level_agent_takes_it(
    namespace, bus_probe
):
    ticket_id = new_id("TF-ESC")
    first, second = routing_app(namespace, **FAST), routing_app(namespace, **FAST)
    async with serve_in_process(first) as http, serve_in_process(second):
        assert (await http.put("/queue-policies/billing", json=RELAX_AND_PAGE)).status_code == 200
        await put_agent(http, "ana", skills={"billing": 3})
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        db = first.state.runtime.db
        assert await db["escalation_timers"].count_documents({"data.ticket": ticket_id}) == 2
        [assigned] = await bus_probe.wait_for(ASSIGNED, ticket_id)
        assert assigned.data["agent_id"] == "ana"
        [escalated] = await bus_probe.wait_for(ESCALATED, ticket_id)
        assert escalated.data["trigger"] == "wait" and escalated.data["page_supervisor"]
        assert escalated.data["source"] == "routing" and escalated.data["step"] == 0
        response = await http.get(f"/tickets/{ticket_id}/escalations")
        assert response.status_code == 200
        [step] = response.json()["data"]
        assert (step["step"], step["actions"]) == (0, ["lower_levels_by:3", "page_supervisor"])
        # Assigned: the second step's timer was dropped with the queue entry.
        assert await db["escalation_timers"].count_documents({"data.ticket": ticket_id}) == 0
        decision = await assigned_decision(http, ticket_id)
        assert decision["requirements"]["required"] == {"billing": 3}
        assert [s["step"] for s in decision["steps_applied"]] == [0]
        await all_published_so_far(bus_probe)
    assert len(bus_probe.of_type(ESCALATED, ticket_id)) == 1
    # At least once on the bus: a re-publish by the outbox sweep carries the same event id.
    assert len({e.id for e in bus_probe.of_type(ASSIGNED, ticket_id)}) == 1


async def test_two_store_handles_firing_the_same_step_at_once_record_it_once(namespace, bus_probe):
    ticket_id = new_id("TF-RACE")
    first, second = routing_app(namespace), routing_app(namespace)
    policy = {**RELAX_AND_PAGE, "steps": [{"after_seconds": 600, "page_supervisor": True}]}
    async with serve_in_process(first) as http, serve_in_process(second):
        assert first.state.runtime.client is not second.state.runtime.client
        assert (await http.put("/queue-policies/billing", json=policy)).status_code == 200
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        entry = await eventually(lambda: first.state.stores.queue.get(ticket_id))
        stored = await first.state.stores.policies.for_ticket("billing", entry.ticket.category)
        [planned] = timers_for(ticket_id, stored, entry.queued_at)
        timer = Timer(planned.key, planned.due, planned.data)
        await asyncio.gather(
            *(
                escalation.check(timer, app.state.escalations)
                for app in (first, second, first, second)
            )
        )
        db = first.state.runtime.db
        assert await db[ESCALATIONS].count_documents({"ticket_id": ticket_id}) == 1
        await bus_probe.wait_for(ESCALATED, ticket_id)
        await all_published_so_far(bus_probe)
    assert len(bus_probe.of_type(ESCALATED, ticket_id)) == 1


def escalation_from(source: str, ticket_id: str, priority: Priority) -> Envelope:
    payload = TicketEscalatedV1(
        ticket_id=ticket_id,
        source=source,
        trigger=EscalationTrigger.emotion,
        reason="angry customer",
        priority=priority,
        escalated_at=T0,
    )
    return Envelope.wrap(payload, source=f"/ticketflow/{source}", subject=ticket_id)


async def test_another_services_escalation_raises_the_queued_ticket_once_never_its_own(
    namespace, bus_probe
):
    ticket_id, other = new_id("TF-UP"), new_id("TF-WAIT")
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        assert (await http.put("/queue-policies/billing", json=RELAX_AND_PAGE)).status_code == 200
        await publish_all(namespace, bus_probe, created_in("billing", other, minutes=1))
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id, minutes=2))
        stores = app.state.stores
        own = escalation_from("routing", ticket_id, Priority.urgent)
        await publish_all(namespace, bus_probe, own)
        assert (await stores.queue.get(ticket_id)).ticket.priority is Priority.normal
        raised = escalation_from("intake", ticket_id, Priority.high)
        await publish_all(namespace, bus_probe, raised)
        await bus_probe.publish(raised)  # a redelivery: the inbox drops it
        lower = escalation_from("intake", ticket_id, Priority.low)
        await publish_all(namespace, bus_probe, lower)
        assert (await stores.queue.get(ticket_id)).ticket.priority is Priority.high
        assert (await stores.tickets.get(ticket_id)).priority is Priority.high
        [first, _] = await stores.queue.waiting(10, departments=["billing"])
        assert first.ticket.ticket_id == ticket_id  # moved up past the older normal ticket


async def test_an_overflow_step_gives_the_ticket_to_the_other_departments_agent(
    namespace, bus_probe
):
    ticket_id = new_id("TF-OVER")
    policy = {"required": {"billing": 6}, "steps": [{"after_seconds": 1, "overflow_to": "tech"}]}
    async with serve_in_process(routing_app(namespace, **FAST)) as http:
        assert (await http.put("/queue-policies/billing", json=policy)).status_code == 200
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        # Free now, but for tech's tickets only, while the ticket waits in billing's queue.
        await put_agent(http, "tom", department="tech", skills={"billing": 7})
        [escalated] = await bus_probe.wait_for(ESCALATED, ticket_id)
        assert escalated.data["overflow_to"] == "tech"
        [assigned] = await bus_probe.wait_for(ASSIGNED, ticket_id)
        assert assigned.data["agent_id"] == "tom"
        decision = await assigned_decision(http, ticket_id)
        assert decision["department"] == "tech"
        [step] = (await http.get(f"/tickets/{ticket_id}/escalations")).json()["data"]
        assert step["overflow_to"] == "tech"
