"""The lifecycle over the real broker and store: solving, waiting, reopening, transfers and
priority changes, in intake's order however the events arrive."""

import pytest
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    QUEUED,
    T0,
    all_published_so_far,
    created_in,
    eventually,
    new_id,
    publish_all,
    put_agent,
    routing_app,
)

from credentials import headers
from factories import INTAKE
from routing.adapters.collections import TICKETS
from support import serve_in_process
from ticketflow_shared.events import (
    Envelope,
    Payload,
    Priority,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)

pytestmark = pytest.mark.integration


def intake(payload: Payload, sequence: int) -> Envelope:
    return Envelope.wrap(payload, source=INTAKE, subject=payload.ticket_id, sequence=sequence)


def created(ticket_id: str, minutes: int = 0) -> Envelope:
    return created_in("billing", ticket_id, minutes)


def status(ticket_id: str, new: str, previous: str, sequence: int, **fields: object) -> Envelope:
    payload = TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=TicketStatus(new),
        previous=TicketStatus(previous),
        actor="user:ana",
        department="billing",
        changed_at=T0,
        **fields,
    )
    return intake(payload, sequence)


def resolve(ticket_id: str, sequence: int, agent_id: str | None = None) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, agent_id=agent_id, resolved_at=T0)
    return intake(payload, sequence)


def loads(probe, agent_id: str) -> list[int]:
    distinct = {e.id: e for e in probe.of_type(AGENT_UPDATED, agent_id)}.values()
    return [e.data["active_tickets"] for e in sorted(distinct, key=lambda e: e.data["updated_at"])]


@pytest.mark.parametrize("resolve_first", [False, True])
async def test_solving_frees_the_slot_once_and_repeats_change_nothing(
    namespace, bus_probe, resolve_first
):
    first, second = new_id("T"), new_id("T")
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        await put_agent(http, "sol")
        await publish_all(namespace, bus_probe, created(first))
        await publish_all(namespace, bus_probe, created(second, minutes=1))
        await bus_probe.wait_for(QUEUED, subject=second)
        solved, resolved = status(first, "solved", "open", 5, agent_id="sol"), resolve(first, 6)
        pair = [resolved, solved] if resolve_first else [solved, resolved]

        await publish_all(namespace, bus_probe, *pair)
        await publish_all(namespace, bus_probe, pair[0].model_copy(update={"id": new_id("E")}))
        await bus_probe.publish(pair[1])  # the same event again: the inbox knows it

        assignments = await bus_probe.wait_for(ASSIGNED, subject=second)
        # At least once on the bus: a re-publish by the outbox sweep carries the same event id.
        assert len({e.id for e in assignments}) == 1
        assert assignments[0].data["agent_id"] == "sol"
        ticket = (await http.get(f"/tickets/{first}")).json()
        assert (ticket["status"], ticket["agent_id"], ticket["department"]) == (
            "solved",
            "sol",
            "billing",
        )
        stored = await app.state.runtime.db[TICKETS].find_one({"_id": first})
        assert stored["applied"] == {"intake": 6}
    await all_published_so_far(bus_probe)
    assert loads(bus_probe, "sol") == [0, 1, 0, 1]


async def test_waiting_keeps_the_slot_by_default_and_a_department_may_release_it(
    namespace, bus_probe
):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.get("/departments/billing")).json() == {
            "name": "billing",
            "release_capacity_on": [],
            "is_default": True,
            "offer": {
                "mode": "auto_accept",
                "timeout_seconds": 120,
                "missed_offer_presence": "away",
                "missed_offer_reason": "missed offer",
                "decline_cooldown_seconds": 600,
            },
        }
        await put_agent(http, "wai", capacity=2)
        await publish_all(namespace, bus_probe, created(ticket_id))
        await publish_all(namespace, bus_probe, status(ticket_id, "pending", "open", 2))
        assert (await http.get("/agents/wai")).json()["active_tickets"] == [ticket_id]

        put = await http.put("/departments/billing", json={"release_capacity_on": ["on_hold"]})
        assert put.status_code == 200 and put.json()["release_capacity_on"] == ["on_hold"]
        listed = (await http.get("/departments")).json()
        assert [d["name"] for d in listed["data"]] == ["billing"] and listed["count"] == 1
        await publish_all(namespace, bus_probe, status(ticket_id, "on_hold", "pending", 3))
        assert (await http.get("/agents/wai")).json()["active_tickets"] == []
        assert (await http.get(f"/tickets/{ticket_id}")).json()["status"] == "on_hold"

        await publish_all(
            namespace, bus_probe, status(ticket_id, "open", "on_hold", 4, agent_id="wai")
        )
        assert (await http.get("/agents/wai")).json()["active_tickets"] == [ticket_id]
    assigned = await bus_probe.wait_for(ASSIGNED, subject=ticket_id, count=2)
    assert [e.data["agent_id"] for e in assigned] == ["wai", "wai"]


async def test_department_settings_are_validated_and_for_admins(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        wrong = await http.put("/departments/billing", json={"release_capacity_on": ["solved"]})
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["loc"][:2] == ["body", "release_capacity_on"]
        extra = await http.put("/departments/billing", json={"release": []})
        assert extra.status_code == 422
        lead = headers("supervisor", departments=("billing",), subject="lead")
        refused = await http.put("/departments/billing", json={}, headers=lead)
        assert refused.status_code == 403
        assert (await http.get("/departments", headers=lead)).status_code == 200


async def test_a_reopened_ticket_goes_to_its_last_agent_else_waits_in_its_department(
    namespace, bus_probe
):
    first, second = new_id("T"), new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "reo")
        await publish_all(namespace, bus_probe, created(first))
        await publish_all(namespace, bus_probe, status(first, "solved", "open", 2))
        reopened = status(first, "open", "solved", 3, reopened=True, agent_id="reo")
        await publish_all(namespace, bus_probe, reopened)
        assert (await http.get("/agents/reo")).json()["active_tickets"] == [first]

        await publish_all(namespace, bus_probe, status(first, "solved", "open", 4))
        await publish_all(namespace, bus_probe, created(second))  # takes reo's slot
        await publish_all(namespace, bus_probe, status(first, "open", "solved", 5, reopened=True))

        ticket = (await http.get(f"/tickets/{first}")).json()
        assert (ticket["status"], ticket["department"]) == ("queued", "billing")
        queue = (await http.get("/queue")).json()
        assert [(t["ticket_id"], t["department"]) for t in queue["data"]] == [(first, "billing")]
        await bus_probe.wait_for(QUEUED, subject=first)


async def test_a_transfer_routes_within_the_new_department_only(namespace, bus_probe):
    ticket_id, waiting = new_id("T"), new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "bil")
        await put_agent(http, "out", department="front-desk", skills={"tier2": 9})
        # One at a time: routing may handle two events at once, and bil must hold this one.
        await publish_all(namespace, bus_probe, created(ticket_id))
        await publish_all(namespace, bus_probe, created(waiting, minutes=1))
        assert (await http.get("/agents/bil")).json()["active_tickets"] == [ticket_id]
        transfer = TicketTransferredV1(
            ticket_id=ticket_id,
            from_department="billing",
            to_department="technical",
            skill="Tier2",
            from_agent_id="bil",
            note="needs a look at the logs",
            priority=Priority.urgent,
            category="billing",
            actor="user:bil",
            transferred_at=T0,
        )

        await publish_all(namespace, bus_probe, intake(transfer, 2))

        ticket = (await http.get(f"/tickets/{ticket_id}")).json()
        assert (ticket["status"], ticket["department"], ticket["required_skill"]) == (
            "queued",
            "technical",
            "tier2",
        )

        async def bil_holds_the_waiting_one() -> bool:
            return (await http.get("/agents/bil")).json()["active_tickets"] == [waiting]

        await eventually(bil_holds_the_waiting_one)  # the freed slot drains the queue
        await put_agent(http, "tec", department="technical", skills={"tier2": 2})
        assigned = (await bus_probe.wait_for(ASSIGNED, subject=ticket_id, count=2))[-1]
        assert (assigned.data["agent_id"], assigned.data["department"]) == ("tec", "technical")
    await all_published_so_far(bus_probe)
    assert bus_probe.of_type(ASSIGNED, ticket_id)[-1].data["agent_id"] == "tec"
    assert loads(bus_probe, "out") == [0]


async def test_a_priority_change_moves_a_queued_ticket_and_a_late_one_does_not(
    namespace, bus_probe
):
    old, new = new_id("T"), new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await publish_all(namespace, bus_probe, created(old), created(new, minutes=5))

        def update(priority: Priority, sequence: int) -> Envelope:
            payload = TicketUpdatedV1(
                ticket_id=new, priority=priority, actor="user:lead", updated_at=T0
            )
            return intake(payload, sequence)

        await publish_all(namespace, bus_probe, update(Priority.urgent, 3))
        await publish_all(namespace, bus_probe, update(Priority.low, 2))  # late

        queue = (await http.get("/queue")).json()["data"]
        assert [(t["ticket_id"], t["priority"]) for t in queue] == [
            (new, "urgent"),
            (old, "normal"),
        ]
        assert (await http.get(f"/tickets/{new}")).json()["priority"] == "urgent"
