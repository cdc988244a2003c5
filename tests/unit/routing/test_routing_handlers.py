"""Handlers against in-memory stores: assignment, queueing, wake-ups and resolves."""

from datetime import UTC, datetime, timedelta

import pytest
from routing_fakes import (
    EventsNotPublished,
    FakeAssignments,
    FakeResolutions,
    Published,
    fake_stores,
)

from factories import ticket_created
from routing import assigning, handlers, lifecycle, views
from routing.domain import (
    Assignment,
    RegisterAgent,
    Resolution,
    ReviseAgent,
    RoutingTicket,
    SetRule,
)
from routing.ports import ClaimResult, Stores
from ticketflow_shared.events import (
    Presence,
    Priority,
    TicketCreatedV1,
    TicketResolvedV1,
)

T0 = datetime(2024, 12, 1, tzinfo=UTC)
ASSIGNED, QUEUED, AGENT_UPDATED = "ticket.assigned.v1", "ticket.queued.v1", "agent.updated.v1"


def created(
    ticket_id: str, category: str = "billing", priority: Priority = Priority.normal, age: int = 0
) -> TicketCreatedV1:
    return ticket_created(
        ticket_id, category=category, priority=priority, created_at=T0 - timedelta(minutes=age)
    )


def resolved(ticket_id: str) -> TicketResolvedV1:
    return TicketResolvedV1(ticket_id=ticket_id, resolved_at=T0)


def registration(agent_id: str | None, **profile) -> RegisterAgent:
    defaults = {"name": agent_id or "anon", "department": "general", "skills": {"billing": 5}}
    fields = {**defaults, "capacity": 1, "presence": Presence.available, **profile}
    return RegisterAgent(agent_id=agent_id, **fields)


async def add_agent(stores: Stores, agent_id: str, **profile) -> None:
    await handlers.register_agent(registration(agent_id, **profile), stores)


def revision(agent_id: str, **changes) -> ReviseAgent:
    return ReviseAgent(agent_id=agent_id, changes=changes)


async def routing_ticket(stores: Stores, ticket_id: str) -> RoutingTicket:
    rule = await views.rule("billing", stores)
    return RoutingTicket(ticket_id, "billing", Priority.normal, T0, rule.requirement)


def assigned_to(published: Published) -> dict[str, str]:
    return {e.subject: e.data["agent_id"] for e in published.of_type(ASSIGNED)}


def queued(published: Published) -> list[str]:
    return [e.subject for e in published.of_type(QUEUED)]


@pytest.fixture
def world() -> tuple[Stores, Published]:
    return fake_stores()


async def test_ticket_goes_to_the_skilled_agent_not_the_idle_unskilled_one(world):
    stores, published = world
    await add_agent(stores, "skilled", skills={"billing": 3}, capacity=5)
    await handlers.ticket_created(created("t0"), stores)
    await add_agent(stores, "idle", skills={"shipping": 9}, capacity=9)

    await handlers.ticket_created(created("t1"), stores)

    assert assigned_to(published) == {"t0": "skilled", "t1": "skilled"}
    event = published.of_type(ASSIGNED)[-1]
    assert (event.data["skill"], event.data["skill_level"]) == ("billing", 3)
    assert event.source == "/ticketflow/routing"


async def test_best_skill_wins_then_least_loaded(world):
    stores, published = world
    await add_agent(stores, "novice", skills={"billing": 2}, capacity=3)
    await add_agent(stores, "expert", skills={"billing": 8}, capacity=1)
    for ticket_id in ("t1", "t2", "t3"):
        await handlers.ticket_created(created(ticket_id), stores)
    assert assigned_to(published) == {"t1": "expert", "t2": "novice", "t3": "novice"}


async def test_queued_once_when_nobody_fits_and_duplicates_change_nothing(world):
    stores, published = world
    await add_agent(stores, "away", presence=Presence.away)
    await handlers.ticket_created(created("t1"), stores)
    before = list(published.envelopes)

    await handlers.ticket_created(created("t1"), stores)

    assert queued(published) == ["t1"] and assigned_to(published) == {}
    assert published.envelopes == before
    assert (await views.ticket("t1", stores)).status == "queued"


async def test_a_ticket_claimed_while_being_queued_is_never_announced_queued(world):
    """Claimed (here by the drain of a freed slot) between queueing and the look after it."""
    stores, published = world
    await add_agent(stores, "busy", capacity=1)
    await handlers.ticket_created(created("t0"), stores)  # fills busy's only slot
    routing_t1 = handlers.ticket_created(created("t1"), stores)

    async def meanwhile_it_is_claimed(ticket):
        stores.queue.on_enqueued = None
        await handlers.ticket_resolved(resolved("t0"), stores)  # frees the slot for t1

    stores.queue.on_enqueued = meanwhile_it_is_claimed
    await routing_t1

    assert assigned_to(published) == {"t0": "busy", "t1": "busy"}
    assert queued(published) == []  # the held ticket.queued was dropped with the entry
    assert await stores.queue.get("t1") is None


async def test_capacity_is_never_exceeded(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    for n in range(5):
        await handlers.ticket_created(created(f"t{n}"), stores)
    assert sorted(assigned_to(published)) == ["t0", "t1"]
    assert queued(published) == ["t2", "t3", "t4"]
    assert (await views.agent("a1", stores)).active_tickets == ["t0", "t1"]


async def test_minimum_level_from_the_routing_rule(world):
    stores, published = world
    await handlers.set_rule(SetRule(category="VIP", skill="billing", min_level=7), stores)
    await add_agent(stores, "junior", skills={"billing": 5})
    await handlers.ticket_created(created("t1", category="vip"), stores)
    assert queued(published) == ["t1"]
    await add_agent(stores, "senior", skills={"billing": 7})
    assert assigned_to(published) == {"t1": "senior"}


async def test_agent_becoming_available_takes_urgent_then_oldest_skilled_tickets(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2, presence=Presence.offline)
    await handlers.ticket_created(created("normal-old", age=50), stores)
    await handlers.ticket_created(created("urgent-new", priority=Priority.urgent, age=1), stores)
    await handlers.ticket_created(created("shipping", category="shipping", age=99), stores)
    await handlers.ticket_created(created("normal-new", age=10), stores)

    await handlers.revise_agent(revision("a1", presence=Presence.available), stores)

    assert [e.subject for e in published.of_type(ASSIGNED)] == ["urgent-new", "normal-old"]
    entries, waiting = await views.queue(stores, limit=10)
    assert waiting == len(entries)
    assert [e.ticket.ticket_id for e in entries] == ["shipping", "normal-new"]


async def test_raising_capacity_drains_the_queue(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    for n in range(3):
        await handlers.ticket_created(created(f"t{n}", age=10 - n), stores)
    await handlers.revise_agent(revision("a1", capacity=3), stores)
    assert sorted(assigned_to(published)) == ["t0", "t1", "t2"]


async def test_resolve_frees_the_slot_and_the_agent_takes_the_next_ticket_it_can(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_created(created("shipping", category="shipping", age=99), stores)
    await handlers.ticket_created(created("t2", age=5), stores)
    await handlers.ticket_created(created("t3", priority=Priority.high), stores)

    await handlers.ticket_resolved(resolved("t1"), stores)

    assert list(assigned_to(published)) == ["t1", "t3"]
    assert (await views.agent("a1", stores)).active_tickets == ["t3"]
    assert (await views.ticket("t1", stores)).status == "solved"


async def test_a_duplicate_resolve_does_nothing(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)
    await handlers.ticket_created(created("t2"), stores)
    before = list(published.envelopes)

    await handlers.ticket_resolved(resolved("t1"), stores)

    assert published.envelopes == before
    assert (await views.agent("a1", stores)).active_tickets == ["t2"]


async def test_resolving_a_queued_ticket_takes_it_out_of_the_queue_for_good(world):
    stores, published = world
    await add_agent(stores, "a1", presence=Presence.offline)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)
    await handlers.revise_agent(revision("a1", presence=Presence.available), stores)
    assert assigned_to(published) == {}
    assert await views.queue(stores, limit=10) == ([], 0)


async def test_resolve_of_an_unknown_ticket_is_retried_later(world):
    stores, _ = world
    with pytest.raises(lifecycle.TicketNotKnownYet):
        await handlers.ticket_resolved(resolved("nope"), stores)


async def test_a_claim_that_lost_the_race_with_a_resolve_is_withdrawn_unannounced(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    ticket = await routing_ticket(stores, "t1")
    await stores.tickets.add(ticket, stores.now())
    agent = await views.agent("a1", stores)  # looked before the resolve
    await stores.resolutions.record(Resolution("t1", None, T0), [], T0)  # which lands meanwhile

    outcome = await assigning.claim(agent, ticket, stores)

    assert outcome is assigning.Outcome.taken
    assert assigned_to(published) == {}
    assert (await views.agent("a1", stores)).active_tickets == []


class RacingAssignments(FakeAssignments):
    """Another process takes the slot we aim for, once."""

    def __init__(self, published: Published) -> None:
        super().__init__(published)
        self.raced = False

    async def claim(self, assignment: Assignment, events) -> ClaimResult:
        if not self.raced:
            self.raced = True
            rival = Assignment("rival", assignment.agent_id, assignment.slot, "billing", 5, T0)
            await super().claim(rival, [])
        return await super().claim(assignment, events)


async def test_losing_a_slot_race_moves_to_the_next_free_slot_or_gives_up_when_full():
    stores, published = fake_stores()
    stores.assignments = RacingAssignments(published)
    await add_agent(stores, "a1", capacity=2)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_created(created("t2"), stores)
    assert assigned_to(published) == {"t1": "a1"}
    assert queued(published) == ["t2"]
    assert (await views.agent("a1", stores)).active_tickets == ["rival", "t1"]


async def test_rule_change_applies_to_tickets_still_queued(world):
    stores, published = world
    await add_agent(stores, "payments", skills={"payments": 4})
    await handlers.ticket_created(created("t1", category="billing"), stores)
    assert queued(published) == ["t1"]

    await handlers.set_rule(SetRule(category="billing", skill="payments", min_level=4), stores)
    await assigning.retry_queue(stores, limit=10)

    assert assigned_to(published) == {"t1": "payments"}
    rule = await views.rule("billing", stores)
    assert (rule.skill, rule.min_level, rule.is_default) == ("payments", 4, False)


async def test_put_agent_creates_then_is_idempotent(world):
    stores, published = world
    profile = registration(None, name="Ann", skills={"billing": 4}, capacity=2)
    assert await handlers.put_agent("ann", profile, stores) is True
    assert await handlers.put_agent("ann", profile, stores) is False
    assert len(published.of_type(AGENT_UPDATED)) == 1
    changed = profile.model_copy(update={"agent_id": "ann", "capacity": 3})
    assert await handlers.put_agent("ann", changed, stores) is False
    agent = await views.agent("ann", stores)
    assert (agent.skills, agent.capacity) == ({"billing": 4}, 3)


async def test_put_agent_refuses_a_command_naming_another_agent(world):
    stores, published = world
    with pytest.raises(handlers.AgentIdMismatch):
        await handlers.put_agent("ann", registration("bob"), stores)
    assert stores.agents.rows == {} and published.envelopes == []


async def test_registering_an_existing_agent_id_conflicts(world):
    stores, _ = world
    await add_agent(stores, "a1")
    with pytest.raises(handlers.AgentExists):
        await add_agent(stores, "a1")


async def test_every_agent_change_is_announced_with_its_state(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.revise_agent(revision("a1", presence=Presence.away), stores)
    [registered, claimed, away] = published.of_type(AGENT_UPDATED)
    assert registered.subject == "a1" and registered.data["presence"] == "available"
    assert (claimed.subject, claimed.data["active_tickets"]) == ("a1", 1)
    assert away.data["presence"] == "away" and away.data["active_tickets"] == 1


async def test_a_queued_tickets_entry_and_its_event_carry_the_same_time(world):
    stores, published = world  # a clock that moves on at every reading
    await handlers.ticket_created(created("t1"), stores)

    [queued] = published.of_type(QUEUED)
    entry = await stores.queue.get("t1")
    assert entry is not None and entry.queued_at == queued.payload().queued_at


async def test_stale_unrouted_tickets_are_routed_by_the_sweep(world):
    stores, published = world
    await add_agent(stores, "a1")
    ticket = await routing_ticket(stores, "t1")
    await stores.tickets.add(ticket, stores.now())  # a crash right after this left it unrouted

    assert await assigning.route_stale(stores, timedelta(seconds=30), limit=10) == 0
    stores.clock.advance(timedelta(seconds=30))
    assert await assigning.route_stale(stores, timedelta(seconds=30), limit=10) == 1

    assert assigned_to(published) == {"t1": "a1"}
    assert await stores.tickets.is_routed("t1")


async def claim_then_crash(stores: Stores, agent_id: str, ticket: RoutingTicket) -> None:
    """What a claimer leaves when it dies between its claim and the announce."""
    agent = await views.agent(agent_id, stores)
    claimed = agent.assign(ticket, stores.now())
    events = assigning.recorded(agent.pull_events())
    assert await stores.assignments.claim(claimed, events) is ClaimResult.claimed


async def test_a_claim_cut_short_by_a_crash_is_announced_by_the_stale_pass(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    ticket = await routing_ticket(stores, "t1")
    await stores.tickets.add(ticket, stores.now())
    await stores.tickets.mark_routed("t1")  # say it was queued, then drained by the dead claimer
    await claim_then_crash(stores, "a1", ticket)
    assert assigned_to(published) == {}

    assert await assigning.announce_stale(stores, timedelta(seconds=0), limit=10) == 1

    assert assigned_to(published) == {"t1": "a1"}
    assert published.of_type(AGENT_UPDATED)[-1].data["active_tickets"] == 1
    assert await assigning.announce_stale(stores, timedelta(seconds=0), limit=10) == 0


async def test_a_crashed_claim_on_a_ticket_resolved_meanwhile_is_withdrawn(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    ticket = await routing_ticket(stores, "t1")
    await stores.tickets.add(ticket, stores.now())
    await claim_then_crash(stores, "a1", ticket)
    await stores.resolutions.record(Resolution("t1", None, T0), [], T0)
    before = list(published.envelopes)

    await assigning.announce_stale(stores, timedelta(seconds=0), limit=10)

    assert published.envelopes == before
    assert (await views.agent("a1", stores)).active_tickets == []


async def test_a_redelivered_ticket_created_announces_the_claim_a_crash_left(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    event = created("t1")
    await stores.tickets.add(await routing_ticket(stores, "t1"), stores.now())
    await claim_then_crash(stores, "a1", await routing_ticket(stores, "t1"))

    await handlers.ticket_created(event, stores)
    await handlers.ticket_created(event, stores)

    assert [e.subject for e in published.of_type(ASSIGNED)] == ["t1"]
    assert await stores.tickets.is_routed("t1")


async def test_resolving_an_unannounced_claim_never_publishes_it(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    ticket = await routing_ticket(stores, "t1")
    await stores.tickets.add(ticket, stores.now())
    await claim_then_crash(stores, "a1", ticket)

    await handlers.ticket_resolved(resolved("t1"), stores)

    assert assigned_to(published) == {}
    loads = [e.data["active_tickets"] for e in published.of_type(AGENT_UPDATED)]
    assert loads == [0]  # registered; the unannounced +1 never went out, so no -1 either
    assert (await views.ticket("t1", stores)).status == "solved"


async def test_assigning_and_resolving_announce_the_agents_load_once_each(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_created(created("t2"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)  # redelivered under a new event id

    loads = published.of_type(AGENT_UPDATED)
    assert [e.data["active_tickets"] for e in loads] == [0, 1, 2, 1]
    assert {e.subject for e in loads} == {"a1"}
    assert [e.data["updated_at"] for e in loads] == sorted(e.data["updated_at"] for e in loads)


async def test_drain_takes_what_the_queue_offers_in_service_order(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1, skills={"billing": 5, "shipping": 2})
    await handlers.set_rule(SetRule(category="hard", skill="shipping", min_level=3), stores)
    await handlers.ticket_created(created("busy-t", age=100), stores)  # goes to a1 first
    await handlers.ticket_created(created("hard", category="hard", age=90), stores)
    await handlers.ticket_created(created("shipping", category="shipping", age=5), stores)
    await handlers.ticket_created(created("billing", age=60), stores)

    offered = await stores.queue.waiting_for(await views.agent("a1", stores), limit=10)
    assert [entry.ticket.ticket_id for entry in offered] == ["billing", "shipping"]
    await handlers.ticket_resolved(resolved("busy-t"), stores)
    assert list(assigned_to(published)) == ["busy-t", "billing"]


def loads_of(published: Published, agent_id: str) -> list[int]:
    return [
        e.data["active_tickets"] for e in published.of_type(AGENT_UPDATED) if e.subject == agent_id
    ]


class ClaimLandsDuringResolve(FakeResolutions):
    """Another process claims and announces the ticket after the resolve's first look."""

    def __init__(self, published: Published, stores: Stores) -> None:
        super().__init__(published)
        self.stores = stores

    async def record(self, resolution: Resolution, events, now) -> bool:
        if resolution.ticket_id not in self.rows:
            await claim_then_crash(self.stores, "a1", await routing_ticket(self.stores, "t1"))
            await self.stores.assignments.announce("t1", self.stores.now())
        return await super().record(resolution, events, now)


async def test_a_claim_announced_during_a_resolve_is_freed_with_its_agents_new_load(world):
    stores, published = world
    stores.resolutions = ClaimLandsDuringResolve(published, stores)
    await add_agent(stores, "a1", capacity=2)
    await stores.tickets.add(await routing_ticket(stores, "t1"), stores.now())

    await handlers.ticket_resolved(resolved("t1"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)  # redelivered under a new event id

    assert assigned_to(published) == {"t1": "a1"}
    assert loads_of(published, "a1") == [0, 1, 0]
    assert (await views.agent("a1", stores)).active_tickets == []


async def test_a_release_that_could_not_publish_sends_its_load_once_when_redelivered(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    stores.assignments.bus_down = True
    with pytest.raises(EventsNotPublished):
        await handlers.ticket_resolved(resolved("t1"), stores)
    with pytest.raises(EventsNotPublished):  # the bus retries it
        await handlers.ticket_resolved(resolved("t1"), stores)
    assert loads_of(published, "a1") == [0, 1]

    stores.assignments.bus_down = False
    await handlers.ticket_resolved(resolved("t1"), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)

    assert loads_of(published, "a1") == [0, 1, 0]
    assert (await views.agent("a1", stores)).active_tickets == []


async def test_the_sweep_frees_a_resolved_tickets_slot_once_its_events_can_go_out(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_created(created("t2"), stores)
    stores.assignments.bus_down = True
    for _ in range(3):  # every delivery fails; then the resolve is dead-lettered
        with pytest.raises(EventsNotPublished):
            await handlers.ticket_resolved(resolved("t1"), stores)
    assert await assigning.release_resolved(stores, limit=10) == 0
    assert (await views.agent("a1", stores)).active_tickets == ["t1"]

    stores.assignments.bus_down = False
    assert await assigning.release_resolved(stores, limit=10) == 1

    assert loads_of(published, "a1") == [0, 1, 0, 1]  # freed, then given t2 from the queue
    assert list(assigned_to(published)) == ["t1", "t2"]
    assert await assigning.release_resolved(stores, limit=10) == 0


async def test_a_rule_change_gives_queued_tickets_to_free_agents_at_once(world):
    stores, published = world
    await add_agent(stores, "payments", skills={"payments": 4})
    await handlers.ticket_created(created("t1", category="billing"), stores)

    await handlers.set_rule(SetRule(category="billing", skill="payments", min_level=4), stores)

    assert assigned_to(published) == {"t1": "payments"}


async def test_retry_queue_reaches_a_takeable_ticket_behind_a_page_of_blocked_ones(world):
    stores, published = world
    await add_agent(stores, "shipper", skills={"shipping": 5}, presence=Presence.offline)
    for n in range(5):
        await handlers.ticket_created(created(f"b{n}", age=100 - n), stores)
    await handlers.ticket_created(created("s1", category="shipping", age=1), stores)
    await handlers.ticket_created(created("b-last", age=0), stores)
    stores.agents.rows["shipper"].presence = Presence.available  # no wake-up: only the sweep

    assert await assigning.retry_queue(stores, limit=2) == 1

    assert assigned_to(published) == {"s1": "shipper"}
    assert (await views.queue(stores, limit=10))[1] == 6


def sequences(published: Published, subject: str) -> list[tuple[str, int | None]]:
    return [(e.type, e.sequence) for e in published.envelopes if e.subject == subject]


async def test_ticket_events_carry_the_version_of_routings_record_of_the_ticket(world):
    stores, published = world
    await add_agent(stores, "away", presence=Presence.away)
    await handlers.ticket_created(created("t1"), stores)

    await handlers.revise_agent(revision("away", presence=Presence.available), stores)

    assert sequences(published, "t1") == [(QUEUED, 1), (ASSIGNED, 2)]


async def test_a_ticket_assigned_at_once_starts_its_own_sequence(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.ticket_created(created("t2"), stores)
    assert sequences(published, "t1") == [(ASSIGNED, 1)]
    assert sequences(published, "t2") == [(ASSIGNED, 1)]


async def test_agent_updated_carries_the_agents_profile_version(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=1)
    await handlers.ticket_created(created("t1"), stores)
    await handlers.revise_agent(revision("a1", presence=Presence.away), stores)
    await handlers.ticket_resolved(resolved("t1"), stores)

    # A change of load keeps the version; a profile change raises it.
    assert [sequence for _, sequence in sequences(published, "a1")] == [0, 0, 1, 1]


async def test_a_lost_slot_race_does_not_spend_a_ticket_version():
    stores, published = fake_stores()
    stores.assignments = RacingAssignments(published)
    await add_agent(stores, "a1", capacity=2)

    await handlers.ticket_created(created("t1"), stores)

    assert sequences(published, "t1") == [(ASSIGNED, 1)]


class CountedAgents:
    """The agents store, counting its reads of one agent."""

    def __init__(self, agents) -> None:
        self.agents = agents
        self.reads = 0

    def __getattr__(self, name: str):
        return getattr(self.agents, name)

    async def get(self, agent_id: str):
        self.reads += 1
        return await self.agents.get(agent_id)


async def test_a_drain_from_a_release_goes_on_from_the_agent_it_left_and_stops_when_full(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    for age, ticket_id in enumerate(["t1", "t2", "q1", "q2"]):
        await handlers.ticket_created(created(ticket_id, age=10 - age), stores)
    released = await assigning.release("t1", stores)
    assert released is not None and released.agent is not None
    assert list(released.agent.held.values()) == ["t2"]
    stores.agents = counted = CountedAgents(stores.agents)

    assert await assigning.drain("a1", stores, agent=released.agent) == 1
    assert "q1" in assigned_to(published) and "q2" not in assigned_to(published)
    assert counted.reads == 0  # neither to start nor, full after its claim, to stop
    assert loads_of(published, "a1")[-2:] == [1, 2]


async def test_a_drain_from_an_agent_read_before_a_claim_fills_no_slot_twice(world):
    stores, published = world
    await add_agent(stores, "a1", capacity=2)
    for age, ticket_id in enumerate(["t1", "t2", "q1", "q2"]):
        await handlers.ticket_created(created(ticket_id, age=10 - age), stores)
    released = await assigning.release("t1", stores)
    assert released is not None
    assert await assigning.drain("a1", stores) == 1  # another drain takes the freed slot

    # The release's view of the agent misses that claim: its own loses the slot race, reads
    # the loads again, and finds the agent full.
    assert await assigning.drain("a1", stores, agent=released.agent) == 0
    assert "q2" not in assigned_to(published)
    assert sorted((await views.agent("a1", stores)).held.values()) == ["q1", "t2"]
