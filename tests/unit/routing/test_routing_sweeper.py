"""Routing's sweep on the scheduler, with time moved by the test instead of slept through."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from routing_fakes import Published, fake_stores

from factories import ticket_created
from routing import handlers
from routing.domain import RegisterAgent, RoutingTicket, SkillRequirement
from routing.ports import Stores
from routing.sweeper import Sweeper
from ticketflow_shared.events import Presence, Priority, TicketCreatedV1
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.testing import FakeClock

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
QUEUED, ASSIGNED = "ticket.queued.v1", "ticket.assigned.v1"


@pytest.fixture
async def world() -> AsyncIterator[tuple[Stores, Published, FakeClock, Scheduler]]:
    stores, published = fake_stores()
    clock = FakeClock(T0)  # stands still, so the passes' times are exact
    stores.clock = clock
    scheduler = Scheduler(clock)
    yield stores, published, clock, scheduler
    await scheduler.stop()


def created(ticket_id: str, category: str = "billing") -> TicketCreatedV1:
    return ticket_created(ticket_id, category=category, created_at=T0)


async def add_agent(stores: Stores, agent_id: str, **profile) -> None:
    fields = {"name": agent_id, "department": "general", "skills": {"billing": 5}, "capacity": 1}
    fields = {**fields, "presence": Presence.available, **profile}
    await handlers.register_agent(RegisterAgent(agent_id=agent_id, **fields), stores)


class CountingSweeper(Sweeper):
    """The real passes, noting the second (since T0) each one started."""

    def __init__(self, stores: Stores, clock: FakeClock) -> None:
        super().__init__(stores, every_seconds=2, stale_after_seconds=30, batch=10)
        self.clock = clock
        self.queue_retries: list[float] = []
        self.stale_passes: list[float] = []

    def _second(self) -> float:
        return (self.clock.now() - T0).total_seconds()

    async def retry_queue(self) -> None:
        self.queue_retries.append(self._second())
        await super().retry_queue()

    async def stale_pass(self) -> None:
        self.stale_passes.append(self._second())
        await super().stale_pass()


async def test_the_queue_is_retried_every_tick_and_the_stale_passes_once_per_stale_after(world):
    stores, _, clock, scheduler = world
    sweeper = CountingSweeper(stores, clock)
    sweeper.schedule(scheduler)
    scheduler.start()

    await clock.run_for(60)

    assert sweeper.queue_retries == list(range(0, 61, 2))
    assert sweeper.stale_passes == [0, 30, 60]

    sweeper.unschedule(scheduler)
    await clock.run_for(60)
    assert len(sweeper.queue_retries) == 31 and len(sweeper.stale_passes) == 3


async def test_a_queued_ticket_goes_to_an_agent_who_came_back_at_the_next_tick(world):
    stores, published, clock, scheduler = world
    await add_agent(stores, "a1", presence=Presence.offline)
    await handlers.ticket_created(created("t1"), stores)
    assert [e.subject for e in published.of_type(QUEUED)] == ["t1"]
    Sweeper(stores, every_seconds=2, stale_after_seconds=30, batch=10).schedule(scheduler)
    scheduler.start()
    await clock.run_for(0)

    stores.agents.rows["a1"].presence = Presence.available  # no wake-up: only the sweep
    await clock.run_for(1.9)
    assert published.of_type(ASSIGNED) == []
    await clock.run_for(0.1)

    assert [e.subject for e in published.of_type(ASSIGNED)] == ["t1"]


async def test_a_ticket_a_crash_left_unrouted_is_routed_once_it_is_stale(world):
    stores, published, clock, scheduler = world
    await add_agent(stores, "a1")
    Sweeper(stores, every_seconds=2, stale_after_seconds=30, batch=10).schedule(scheduler)
    scheduler.start()
    await clock.run_for(1)
    ticket = RoutingTicket("t1", "billing", Priority.normal, T0, SkillRequirement("billing"))
    await stores.tickets.add(ticket, clock.now())  # and then the process died

    await clock.run_for(29)  # the pass at 30 s finds it 29 s old: not stale yet
    assert published.of_type(ASSIGNED) == []
    await clock.run_for(30)  # the pass at 60 s routes it

    assert [e.subject for e in published.of_type(ASSIGNED)] == ["t1"]
    assert await stores.tickets.is_routed("t1")


async def test_a_failed_pass_is_tried_again_at_the_next_tick(world):
    stores, published, clock, scheduler = world
    await add_agent(stores, "a1", presence=Presence.offline)
    await handlers.ticket_created(created("t1"), stores)
    waiting = stores.queue.waiting
    failures = iter([True])

    async def flaky_waiting(*args, **kwargs):
        if next(failures, False):
            raise ConnectionError("store away")
        return await waiting(*args, **kwargs)

    stores.queue.waiting = flaky_waiting
    stores.agents.rows["a1"].presence = Presence.available
    Sweeper(stores, every_seconds=2, stale_after_seconds=3600, batch=10).schedule(scheduler)
    scheduler.start()

    await clock.run_for(0)
    assert published.of_type(ASSIGNED) == []
    await clock.run_for(timedelta(seconds=2))

    assert [e.subject for e in published.of_type(ASSIGNED)] == ["t1"]
