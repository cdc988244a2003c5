"""Routing against real RabbitMQ and the store: skill match, queueing, wake-ups, resolves."""

from datetime import UTC, datetime

import pytest
from routing_harness import (
    ASSIGNED,
    QUEUED,
    all_published_so_far,
    created,
    distinct_by_ticket,
    eventually,
    handled,
    new_id,
    resolved,
    routing_app,
    routing_queue_drained,
)

from support import serve_in_process
from ticketflow_shared.events import Priority

pytestmark = pytest.mark.integration


def _to_the_millisecond(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def test_ticket_goes_to_the_agent_with_the_skill_not_a_less_busy_one(namespace, bus_probe):
    async with serve_in_process(routing_app(namespace)) as http:
        skilled = {"agent_id": "sam", "name": "Sam", "skills": {"billing": 4}, "capacity": 3}
        assert (await http.post("/agents", json=skilled)).status_code == 201
        first, second = new_id("T"), new_id("T")
        await bus_probe.publish(created(first, category="billing"))
        await bus_probe.wait_for(ASSIGNED, subject=first)
        idle = {"agent_id": "ida", "name": "Ida", "skills": {"shipping": 10}, "capacity": 10}
        assert (await http.post("/agents", json=idle)).status_code == 201

        await bus_probe.publish(created(second, category="Billing"))

        [event] = await bus_probe.wait_for(ASSIGNED, subject=second)
        assert event.data["agent_id"] == "sam"
        assert (event.data["skill"], event.data["skill_level"]) == ("billing", 4)
        assert event.source == "/ticketflow/routing"
        agent = (await http.get("/agents/sam")).json()
        assert sorted(agent["active_tickets"]) == sorted([first, second])
        assert agent["free_slots"] == 1
        ticket = (await http.get(f"/tickets/{second}")).json()
        assert (ticket["status"], ticket["agent_id"]) == ("open", "sam")


async def test_queued_when_nobody_fits_then_assigned_when_a_skilled_agent_is_available(
    namespace, bus_probe
):
    async with serve_in_process(routing_app(namespace)) as http:
        offline = {"name": "Olga", "skills": {"technical": 7}, "presence": "offline"}
        agent_id = (await http.post("/agents", json=offline)).json()["agent_id"]
        ticket_id = new_id("T")

        await bus_probe.publish(created(ticket_id, category="technical", priority=Priority.high))

        [event] = await bus_probe.wait_for(QUEUED, subject=ticket_id)
        assert (event.data["required_skill"], event.data["priority"]) == ("technical", "high")
        assert event.sequence == 1  # the first version of routing's record of the ticket
        queue = (await http.get("/queue")).json()
        assert [entry["ticket_id"] for entry in queue["data"]] == [ticket_id]
        assert _to_the_millisecond(queue["data"][0]["queued_at"]) == _to_the_millisecond(
            event.data["queued_at"]
        )  # one reading of the clock for both; the store keeps milliseconds
        assert (await http.get(f"/tickets/{ticket_id}")).json()["status"] == "queued"

        response = await http.patch(f"/agents/{agent_id}", json={"presence": "available"})

        assert response.status_code == 200
        [event] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        assert (event.data["agent_id"], event.sequence) == (agent_id, 2)
        assert response.json()["active_tickets"] == [ticket_id]
        # agent.updated carries the agent's profile version: 0 registered, 1 made available.
        loads = await bus_probe.wait_for("agent.updated.v1", subject=agent_id, count=3)
        assert [(e.data["active_tickets"], e.sequence) for e in loads] == [(0, 0), (0, 1), (1, 1)]
        assert (await http.get("/queue")).json() == {"data": [], "count": 0}


async def test_resolve_frees_the_slot_and_the_next_queued_ticket_is_assigned(namespace, bus_probe):
    async with serve_in_process(routing_app(namespace)) as http:
        solo = {"agent_id": "solo", "name": "Solo", "skills": {"billing": 5}, "capacity": 1}
        await http.put("/agents/solo", json=solo)
        busy, normal, urgent = new_id("busy"), new_id("normal"), new_id("urgent")
        await bus_probe.publish(created(busy))
        await bus_probe.wait_for(ASSIGNED, subject=busy)
        await bus_probe.publish(created(normal, age_minutes=30))
        await bus_probe.publish(created(urgent, priority=Priority.urgent))
        await bus_probe.wait_for(QUEUED, subject=normal)
        await bus_probe.wait_for(QUEUED, subject=urgent)
        queue = (await http.get("/queue")).json()
        assert [entry["ticket_id"] for entry in queue["data"]] == [urgent, normal]
        first_page = (await http.get("/queue", params={"limit": 1})).json()
        assert ([e["ticket_id"] for e in first_page["data"]], first_page["count"]) == ([urgent], 2)

        await bus_probe.publish(resolved(busy, agent_id="solo"))

        [event] = await bus_probe.wait_for(ASSIGNED, subject=urgent)
        assert event.data["agent_id"] == "solo"
        assert (await http.get("/agents/solo")).json()["active_tickets"] == [urgent]
        assert (await http.get(f"/tickets/{busy}")).json()["status"] == "solved"
        assert (await http.get(f"/tickets/{normal}")).json()["status"] == "queued"


async def test_duplicated_ticket_created_changes_nothing(namespace, bus_probe):
    assigned_ticket, queued_ticket = new_id("T"), new_id("T")
    first_assigned = created(assigned_ticket)
    first_queued = created(queued_ticket, category="nobody-has-this")
    async with serve_in_process(routing_app(namespace)) as http:
        one = {"agent_id": "one", "name": "One", "skills": {"billing": 5}, "capacity": 5}
        await http.post("/agents", json=one)
        await bus_probe.publish(first_assigned)
        await bus_probe.publish(first_queued)
        await bus_probe.wait_for(ASSIGNED, subject=assigned_ticket)
        await bus_probe.wait_for(QUEUED, subject=queued_ticket)

        # The same envelopes again, and the same tickets under new event ids.
        again = [created(assigned_ticket), created(queued_ticket, category="nobody-has-this")]
        for envelope in [first_assigned, first_queued, *again]:
            await bus_probe.publish(envelope)
        await eventually(lambda: handled(namespace, [e.id for e in again]))
    assert await routing_queue_drained(namespace)
    await all_published_so_far(bus_probe)

    assert {k: len(v) for k, v in distinct_by_ticket(bus_probe.of_type(ASSIGNED)).items()} == {
        assigned_ticket: 1
    }
    assert {k: len(v) for k, v in distinct_by_ticket(bus_probe.of_type(QUEUED)).items()} == {
        queued_ticket: 1
    }
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.get("/agents/one")).json()["active_tickets"] == [assigned_ticket]
        assert (await http.get("/queue")).json()["count"] == 1
