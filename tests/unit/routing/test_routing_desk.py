"""Taking, releasing and reassigning tickets by hand, against in-memory stores."""

from datetime import UTC, datetime

import pytest
from routing_fakes import Published, fake_stores

from factories import ticket_created
from routing import assigning, desk, handlers, views
from routing.domain import RegisterAgent
from routing.permissions import NotAllowed
from routing.ports import Stores
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.events import Presence, TicketStatus

T0 = datetime(2025, 2, 1, tzinfo=UTC)
ASSIGNED, QUEUED, AGENT_UPDATED = "ticket.assigned.v1", "ticket.queued.v1", "agent.updated.v1"


def person(subject: str, *roles: Role, department: str = "billing") -> Principal:
    return Principal(subject, "user", frozenset(roles), frozenset({department}))


ANA = person("ana", Role.agent)
BEN = person("ben", Role.agent)
LEAD = person("lead", Role.supervisor)
OTHER_LEAD = person("tech-lead", Role.supervisor, department="technical")


async def add_agent(stores: Stores, agent_id: str, department: str = "billing", **profile):
    fields = {"skills": {"billing": 5}, "capacity": 1, "presence": Presence.available, **profile}
    command = RegisterAgent(agent_id=agent_id, name=agent_id, department=department, **fields)
    await handlers.register_agent(command, stores)


async def create(stores: Stores, ticket_id: str, department: str = "billing") -> None:
    event = ticket_created(ticket_id, created_at=T0, department=department)
    await handlers.ticket_created(event, stores)


@pytest.fixture
async def world() -> tuple[Stores, Published]:
    """ana (billing 5) and ben (billing 3), both away; t1 queued in billing."""
    stores, published = fake_stores()
    await add_agent(stores, "ana", presence=Presence.away)
    await add_agent(stores, "ben", skills={"billing": 3}, presence=Presence.away)
    await create(stores, "t1")
    for agent_id in ("ana", "ben"):
        await stores.agents.save(
            await _available(stores, agent_id), 0, [], T0
        )  # available without the drain of a revise: t1 stays queued
    return stores, published


async def _available(stores: Stores, agent_id: str):
    agent = await stores.agents.get(agent_id)
    agent.presence = Presence.available
    return agent


async def test_an_agent_takes_a_queued_ticket_of_their_department(world):
    stores, published = world
    state = await desk.take("t1", ANA, stores)
    assert (state.status, state.agent_id) == (TicketStatus.open, "ana")
    [assigned] = published.of_type(ASSIGNED)
    assert assigned.data["agent_id"] == "ana"
    assert (await views.queue(stores, 10))[1] == 0


async def test_taking_is_refused_naming_why(world):
    stores, _ = world
    await add_agent(stores, "carla", department="technical", skills={"billing": 9}, capacity=0)
    carla = person("carla", Role.agent, department="billing")  # token says billing
    with pytest.raises(desk.CannotTake, match="department 'technical'"):
        await desk.take("t1", carla, stores)
    with pytest.raises(desk.CannotTake, match="not an agent routing knows"):
        await desk.take("t1", person("nobody", Role.agent), stores)
    with pytest.raises(views.TicketNotFound):
        await desk.take("t1", person("ana", Role.agent, department="technical"), stores)
    await desk.take("t1", ANA, stores)
    with pytest.raises(desk.CannotTake, match="t1 is open by ana"):
        await desk.take("t1", BEN, stores)
    await create(stores, "t2")  # ben's
    await create(stores, "t3")  # queued
    with pytest.raises(desk.CannotTake, match="no free slot"):
        await desk.take("t3", ANA, stores)


async def test_release_puts_the_ticket_back_and_frees_the_slot(world):
    stores, published = world
    await desk.take("t1", ANA, stores)
    with pytest.raises(NotAllowed):
        await desk.release("t1", BEN, stores)

    state = await desk.release("t1", ANA, stores)

    assert state.status is TicketStatus.queued
    assert (await views.agent("ana", stores)).active_tickets == []
    assert [e.subject for e in published.of_type(QUEUED)] == ["t1", "t1"]
    assert published.of_type(AGENT_UPDATED)[-1].data["active_tickets"] == 0
    await desk.take("t1", BEN, stores)
    assert (await desk.release("t1", LEAD, stores)).status is TicketStatus.queued
    with pytest.raises(desk.CannotTake, match="t1 is queued"):
        await desk.release("t1", LEAD, stores)


async def test_a_supervisor_reassigns_to_an_agent_of_the_department_with_room(world):
    stores, published = world
    await desk.take("t1", ANA, stores)
    with pytest.raises(NotAllowed):
        await desk.reassign("t1", "ben", ANA, stores)
    with pytest.raises(views.TicketNotFound):
        await desk.reassign("t1", "ben", OTHER_LEAD, stores)
    with pytest.raises(desk.CannotTake, match="holds ticket t1 already"):
        await desk.reassign("t1", "ana", LEAD, stores)

    state = await desk.reassign("t1", "ben", LEAD, stores)

    assert state.agent_id == "ben"
    assert (await views.agent("ana", stores)).active_tickets == []
    assert [e.data["agent_id"] for e in published.of_type(ASSIGNED)] == ["ana", "ben"]


async def test_reassigning_checks_skill_and_room_and_keeps_the_holder(world):
    stores, _ = world
    await desk.take("t1", ANA, stores)
    await handlers.set_rule(handlers.SetRule(category="billing", min_level=4), stores)
    await create(stores, "t2")  # ana is full, ben not skilled enough: queued
    with pytest.raises(desk.CannotTake, match="'billing' at level 3, the ticket needs 4"):
        await desk.reassign("t2", "ben", LEAD, stores)
    await add_agent(stores, "cy", skills={"billing": 9}, capacity=0)
    with pytest.raises(desk.CannotTake, match="no free slot"):
        await desk.reassign("t2", "cy", LEAD, stores)
    with pytest.raises(desk.CannotTake, match="not an agent routing knows"):
        await desk.reassign("t2", "ghost", LEAD, stores)
    assert (await views.ticket("t2", stores)).status is TicketStatus.queued
    assert (await views.ticket("t1", stores)).agent_id == "ana"


async def test_a_ticket_put_back_goes_to_someone_else_not_to_its_agent_again(world):
    stores, published = world
    await desk.take("t1", ANA, stores)
    await desk.release("t1", ANA, stores)

    assert await assigning.retry_queue(stores, limit=10) == 1
    assert (await views.ticket("t1", stores)).agent_id == "ben"
    assert [e.data["agent_id"] for e in published.of_type(ASSIGNED)] == ["ana", "ben"]


async def test_its_agent_may_still_take_a_ticket_they_put_back(world):
    stores, _ = world
    await stores.agents.save(await _away(stores, "ben"), 0, [], T0)
    await desk.take("t1", ANA, stores)
    await desk.release("t1", ANA, stores)

    assert await assigning.retry_queue(stores, limit=10) == 0
    assert await assigning.drain("ana", stores) == 0
    assert (await desk.take("t1", ANA, stores)).agent_id == "ana"


async def _away(stores: Stores, agent_id: str):
    agent = await stores.agents.get(agent_id)
    agent.presence = Presence.away
    return agent
