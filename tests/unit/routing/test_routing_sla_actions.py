"""A breached SLA target's actions in routing, against in-memory stores."""

from datetime import UTC, datetime, timedelta

from routing_fakes import fake_stores

from factories import ticket_created
from routing import handlers, sla_actions, views
from routing.domain import RegisterAgent
from routing.domain.sla import BreachAction
from routing.ports import Stores
from ticketflow_shared.events import Presence, Priority, TicketStatus

T0 = datetime(2025, 2, 1, tzinfo=UTC)


async def add_agent(stores: Stores, agent_id: str, presence: Presence = Presence.available):
    command = RegisterAgent(
        agent_id=agent_id,
        name=agent_id,
        department="billing",
        skills={"billing": 5},
        capacity=1,
        presence=presence,
    )
    await handlers.register_agent(command, stores)


async def create(stores: Stores, ticket_id: str, minutes: int = 0) -> None:
    event = ticket_created(
        ticket_id, created_at=T0 + timedelta(minutes=minutes), department="billing"
    )
    await handlers.ticket_created(event, stores)


async def test_a_raised_priority_moves_the_ticket_to_the_front_of_the_queue():
    stores, _ = fake_stores()
    await create(stores, "older")
    await create(stores, "breached", minutes=5)
    before = [e.ticket.ticket_id for e in (await views.queue(stores, 10))[0]]
    assert before == ["older", "breached"]

    actions = (BreachAction.raise_priority,)
    await sla_actions.apply_breach("breached", actions, Priority.urgent, stores)

    entries, _ = await views.queue(stores, 10)
    assert [e.ticket.ticket_id for e in entries] == ["breached", "older"]
    assert entries[0].ticket.priority is Priority.urgent
    assert (await stores.tickets.get("breached")).priority is Priority.urgent


async def test_reassign_takes_the_ticket_from_its_agent_to_another():
    stores, _ = fake_stores()
    await add_agent(stores, "ana")
    await create(stores, "t1")
    assert (await views.ticket("t1", stores)).agent_id == "ana"
    await add_agent(stores, "ben")

    await sla_actions.apply_breach("t1", (BreachAction.reassign,), Priority.normal, stores)

    state = await views.ticket("t1", stores)
    assert (state.status, state.agent_id) == (TicketStatus.open, "ben")
    assert (await views.agent("ana", stores)).active_count == 0


async def test_without_the_actions_nothing_moves():
    stores, _ = fake_stores()
    await add_agent(stores, "ana")
    await create(stores, "t1")
    await sla_actions.apply_breach("t1", (BreachAction.page_supervisor,), Priority.high, stores)
    state = await views.ticket("t1", stores)
    assert state.agent_id == "ana"
    assert (await stores.tickets.get("t1")).priority is Priority.normal


async def test_move_up_puts_the_ticket_first_within_its_priority_only():
    stores, _ = fake_stores()
    await create(stores, "oldest")
    await create(stores, "breached", minutes=5)
    await create(stores, "high", minutes=7)
    await stores.queue.reprioritize("high", Priority.high)

    await sla_actions.apply_breach("breached", (BreachAction.move_up,), Priority.normal, stores)

    entries, _ = await views.queue(stores, 10)
    assert [e.ticket.ticket_id for e in entries] == ["high", "breached", "oldest"]
