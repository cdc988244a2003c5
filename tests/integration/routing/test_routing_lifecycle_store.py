"""The store behaviours the lifecycle relies on, against the running server: applied marks
that never go down, queue lookups by department (a missing one included), release records."""

import pytest
from routing_harness import T0, routing_app

from routing.adapters.collections import RESOLUTIONS
from routing.domain import Agent, Resolution, RoutingTicket, SkillRequirement
from support import serve_in_process
from ticketflow_shared.events import Position, Presence, Priority, TicketStatus

pytestmark = pytest.mark.integration
BILLING = SkillRequirement("billing")


def ticket(ticket_id: str, department: str | None) -> RoutingTicket:
    return RoutingTicket(ticket_id, "billing", Priority.normal, T0, BILLING, department=department)


def at(sequence: int) -> Position:
    return Position(f"e{sequence}", "intake", sequence)


async def test_applied_marks_only_go_up_and_travel_with_the_writes(namespace):
    app = routing_app(namespace)
    async with serve_in_process(app):
        tickets = app.state.stores.tickets
        await tickets.add(ticket("m1", "billing"), T0)  # from before sequences
        assert (await tickets.record("m1", "intake")).applied is None

        await tickets.advance("m1", at(4))
        await tickets.advance("m1", at(2))
        await tickets.advance("m1", Position("e", "intake", None))
        assert (await tickets.record("m1", "intake")).applied == 4
        assert (await tickets.record("m1", "other")).applied is None

        await tickets.mark_routed("m1", at(5))
        record = await tickets.record("m1", "intake")
        assert (record.applied, record.routed) == (5, True)
        await tickets.reprioritize("m1", Priority.urgent, at(6))
        record = await tickets.record("m1", "intake")
        assert (record.applied, record.ticket.priority) == (6, Priority.urgent)

        await tickets.revise(ticket("m1", "technical"))
        record = await tickets.record("m1", "intake")
        assert (record.ticket.department, record.routed, record.applied) == ("technical", False, 6)


async def test_a_freed_agent_is_offered_its_departments_tickets_and_those_of_none(namespace):
    app = routing_app(namespace)
    async with serve_in_process(app):
        stores = app.state.stores
        for ticket_id, department in [("q1", "technical"), ("q2", None), ("q3", "billing")]:
            await stores.queue.enqueue(ticket(ticket_id, department), [], T0)
        agent = Agent("ana", "Ana", "billing", {"billing": 5}, 2, Presence.available)

        waiting = await stores.queue.waiting_for(agent, limit=10)

        assert [entry.ticket.ticket_id for entry in waiting] == ["q2", "q3"]
        blocked = {(BILLING, None), (BILLING, "technical")}
        entries = await stores.queue.waiting(10, excluding=blocked)
        assert [entry.ticket.ticket_id for entry in entries] == ["q3"]
        assert await stores.queue.reprioritize("q3", Priority.urgent)
        assert not await stores.queue.reprioritize("nope", Priority.urgent)
        assert (await stores.queue.get("q3")).ticket.priority is Priority.urgent


async def test_release_records_keep_their_status_and_go_when_the_ticket_wants_an_agent(
    namespace,
):
    app = routing_app(namespace)
    async with serve_in_process(app):
        resolutions, db = app.state.stores.resolutions, app.state.runtime.db
        await resolutions.record(Resolution("r1", "ana", T0, TicketStatus.pending), [], T0)
        await resolutions.restate("r1", TicketStatus.solved)
        await resolutions.restate("r1", TicketStatus.closed)
        assert (await resolutions.get("r1")).status is TicketStatus.closed
        await db[RESOLUTIONS].insert_one({"_id": "legacy", "agent_id": None, "resolved_at": T0})
        assert (await resolutions.get("legacy")).status is TicketStatus.solved

        assert await resolutions.remove("r1")
        assert not await resolutions.remove("r1")
        assert await resolutions.get("r1") is None
