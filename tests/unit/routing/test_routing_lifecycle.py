"""The lifecycle against in-memory stores: slots freed and taken again, transfers, priority,
and events applied in intake's order however they arrive."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from routing_fakes import Published, fake_stores

from factories import ticket_created
from routing import assigning, handlers, lifecycle, views
from routing.domain import DepartmentSettings, RegisterAgent
from routing.ports import Stores
from ticketflow_shared.events import (
    Position,
    Presence,
    Priority,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)

T0 = datetime(2025, 2, 1, tzinfo=UTC)
ASSIGNED, QUEUED = "ticket.assigned.v1", "ticket.queued.v1"
_ids = count()


def at(sequence: int | None) -> Position:
    return Position(f"e{next(_ids)}", "intake", sequence)


async def add_agent(stores: Stores, agent_id: str, department: str = "billing", **profile):
    fields = {"skills": {"billing": 5}, "capacity": 1, "presence": Presence.available, **profile}
    command = RegisterAgent(agent_id=agent_id, name=agent_id, department=department, **fields)
    await handlers.register_agent(command, stores)


async def create(stores: Stores, ticket_id: str, age: int = 0, **fields) -> None:
    event = ticket_created(
        ticket_id, created_at=T0 - timedelta(minutes=age), department="billing", **fields
    )
    await handlers.ticket_created(event, stores, at(1))


def status(ticket_id: str, new: TicketStatus, previous: TicketStatus, **fields):
    return TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=new,
        previous=previous,
        actor="user:ana",
        department="billing",
        changed_at=T0,
        **fields,
    )


def transfer(ticket_id: str, to: str, skill: str | None = None) -> TicketTransferredV1:
    return TicketTransferredV1(
        ticket_id=ticket_id,
        from_department="billing",
        to_department=to,
        skill=skill,
        note="over to you",
        priority=Priority.high,
        category="billing",
        actor="user:ana",
        transferred_at=T0,
    )


def holding(published: Published) -> dict[str, str]:
    """Ticket -> agent of its latest ticket.assigned."""
    return {e.subject: e.data["agent_id"] for e in published.of_type(ASSIGNED)}


async def held(stores: Stores, agent_id: str) -> list[str]:
    return (await views.agent(agent_id, stores)).active_tickets


@pytest.fixture
def world() -> tuple[Stores, Published]:
    return fake_stores()


@pytest.mark.parametrize("first", ["resolved", "status_changed"])
async def test_solving_frees_the_slot_once_whichever_event_comes_first(world, first):
    stores, published = world
    await add_agent(stores, "ana")
    await create(stores, "t1")
    await create(stores, "t2", age=-1)  # queued behind t1
    solved = status("t1", TicketStatus.solved, TicketStatus.open, agent_id="ana")
    resolved = TicketResolvedV1(ticket_id="t1", agent_id="ana", resolved_at=T0)
    events = [
        lambda: lifecycle.status_changed(solved, stores, at(5)),
        lambda: handlers.ticket_resolved(resolved, stores, at(6)),
    ]
    if first == "resolved":
        events.reverse()

    await events[0]()
    after_first = list(published.envelopes)
    await events[1]()

    assert published.envelopes == after_first
    assert holding(published) == {"t1": "ana", "t2": "ana"}
    assert await held(stores, "ana") == ["t2"]
    assert (await views.ticket("t1", stores)).status is TicketStatus.solved


async def test_pending_keeps_the_slot_unless_the_department_releases_it(world):
    stores, published = world
    await add_agent(stores, "ana", capacity=2)
    await create(stores, "t1")
    await lifecycle.status_changed(status("t1", TicketStatus.pending, TicketStatus.open), stores)
    assert await held(stores, "ana") == ["t1"]

    settings = DepartmentSettings.of("billing", [TicketStatus.on_hold])
    await handlers.set_department(settings, stores)
    on_hold = status("t1", TicketStatus.on_hold, TicketStatus.pending, agent_id="ana")
    await lifecycle.status_changed(on_hold, stores, at(3))

    assert await held(stores, "ana") == []
    assert (await views.ticket("t1", stores)).status is TicketStatus.on_hold
    assert holding(published) == {"t1": "ana"}


async def test_back_to_open_takes_the_slot_again_on_the_same_agent(world):
    stores, published = world
    await handlers.set_department(DepartmentSettings.of("billing", ["pending"]), stores)
    await add_agent(stores, "ana")
    await add_agent(stores, "ben", skills={"billing": 9})  # better, but not the last agent
    await create(stores, "t0")  # ben's
    await create(stores, "t1")  # ana's
    await lifecycle.status_changed(status("t1", TicketStatus.pending, TicketStatus.open), stores)
    await lifecycle.status_changed(status("t0", TicketStatus.solved, TicketStatus.open), stores)
    assert await held(stores, "ana") == [] and await held(stores, "ben") == []

    await lifecycle.status_changed(status("t1", TicketStatus.open, TicketStatus.pending), stores)

    assert await held(stores, "ana") == ["t1"]
    assert [e.data["agent_id"] for e in published.of_type(ASSIGNED) if e.subject == "t1"] == [
        "ana",
        "ana",
    ]


async def test_a_reopened_ticket_goes_back_to_its_last_agent_else_to_the_queue(world):
    stores, published = world
    await add_agent(stores, "ana")
    await create(stores, "t1")
    await lifecycle.status_changed(status("t1", TicketStatus.solved, TicketStatus.open), stores)
    await create(stores, "t2")  # takes ana's freed slot
    reopened = status("t1", TicketStatus.open, TicketStatus.solved, reopened=True, agent_id="ana")

    await lifecycle.status_changed(reopened, stores)

    state = await views.ticket("t1", stores)
    assert (state.status, state.ticket.department) == (TicketStatus.queued, "billing")
    assert [e.subject for e in published.of_type(QUEUED)] == ["t1"]

    await handlers.ticket_resolved(TicketResolvedV1(ticket_id="t2", resolved_at=T0), stores)
    assert await held(stores, "ana") == ["t1"]


async def test_a_late_or_repeated_event_never_rewinds_routings_view(world):
    stores, published = world
    await add_agent(stores, "ana")
    await create(stores, "t1")
    solved = status("t1", TicketStatus.solved, TicketStatus.open, agent_id="ana")
    reopened = status("t1", TicketStatus.open, TicketStatus.solved, reopened=True)
    await lifecycle.status_changed(solved, stores, at(4))
    await lifecycle.status_changed(reopened, stores, at(6))
    settled = list(published.envelopes)

    late_resolve = TicketResolvedV1(ticket_id="t1", agent_id="ana", resolved_at=T0)
    await handlers.ticket_resolved(late_resolve, stores, at(5))
    await lifecycle.status_changed(solved, stores, at(4))
    await lifecycle.status_changed(reopened, stores, at(6))
    await lifecycle.status_changed(solved, stores, at(None))  # unordered, after ordered ones

    assert published.envelopes == settled
    assert await held(stores, "ana") == ["t1"]


async def test_events_about_a_ticket_routing_has_not_seen_are_retried(world):
    stores, _ = world
    with pytest.raises(lifecycle.TicketNotKnownYet):
        await lifecycle.status_changed(status("nope", TicketStatus.open, TicketStatus.new), stores)


async def test_a_transfer_frees_the_slot_and_routes_within_the_new_department(world):
    stores, published = world
    await add_agent(stores, "ana")
    await add_agent(stores, "outsider", department="front-desk", skills={"tier2": 9})
    await add_agent(stores, "carla", department="technical", skills={"tier2": 3})
    await create(stores, "t1")
    await create(stores, "t2", age=-1)  # waits for ana

    await lifecycle.transferred(transfer("t1", "technical", skill="Tier2"), stores, at(3))

    state = await views.ticket("t1", stores)
    assert (state.agent_id, state.ticket.department, state.required_skill) == (
        "carla",
        "technical",
        "tier2",
    )
    assert state.ticket.priority is Priority.high
    assert holding(published) == {"t1": "carla", "t2": "ana"}


async def test_a_transferred_ticket_nobody_can_take_waits_in_its_new_department(world):
    stores, published = world
    await add_agent(stores, "ana")
    await add_agent(stores, "billing-only", department="billing", skills={"billing": 9})
    await create(stores, "t1")

    await lifecycle.transferred(transfer("t1", "technical"), stores, at(3))

    state = await views.ticket("t1", stores)
    assert (state.status, state.ticket.department) == (TicketStatus.queued, "technical")
    await add_agent(stores, "billing-two", skills={"billing": 9}, capacity=3)
    assert (await views.ticket("t1", stores)).status is TicketStatus.queued
    await add_agent(stores, "dev", department="technical", skills={"billing": 2})
    assert holding(published)["t1"] == "dev"


async def test_a_priority_change_reorders_the_queue(world):
    stores, published = world
    await add_agent(stores, "ana", presence=Presence.away)
    await create(stores, "old", age=10)
    await create(stores, "new", age=0)
    raised = TicketUpdatedV1(ticket_id="new", priority=Priority.urgent, actor="x", updated_at=T0)

    await lifecycle.updated(raised, stores, at(2))
    entries, _ = await views.queue(stores, 10)
    assert [entry.ticket.ticket_id for entry in entries] == ["new", "old"]

    await handlers.revise_agent(
        handlers.ReviseAgent(agent_id="ana", changes={"presence": "available"}), stores
    )
    assert holding(published) == {"new": "ana"}


async def test_the_sweep_keeps_queued_tickets_in_their_department(world):
    stores, published = world
    await add_agent(stores, "ana", presence=Presence.away)
    older = ticket_created("t1", created_at=T0 - timedelta(minutes=5), department="technical")
    await handlers.ticket_created(older, stores)
    await create(stores, "t2")
    await stores.agents.save(
        replace(await stores.agents.get("ana"), presence=Presence.available), 0, [], T0
    )

    assert await assigning.retry_queue(stores, limit=1) == 1

    assert holding(published) == {"t2": "ana"}
    assert (await views.ticket("t1", stores)).status is TicketStatus.queued
