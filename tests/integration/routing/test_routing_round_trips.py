"""What routing sends to the store per ticket: a new ticket costs no reads it cannot need,
and the whole life of a ticket (created, assigned, opened, solved) is counted by collection."""

import asyncio
from collections import Counter

import pytest
from pymongo import AsyncMongoClient, monitoring
from routing_harness import (
    ASSIGNED,
    QUEUED,
    T0,
    RunsFirst,
    all_published_so_far,
    created,
    created_in,
    eventually,
    new_id,
    put_agent,
    routing_app,
)

from factories import INTAKE
from routing import assigning, handlers, views
from routing.adapters.collections import ASSIGNMENTS, RESOLUTIONS, TICKETS
from routing.adapters.outboxes import EventsNotPublished
from routing.domain import Resolution, RoutingTicket, SkillRequirement
from routing.ports import ClaimResult
from support import serve_in_process
from ticketflow_shared.events import (
    Envelope,
    NotificationSentV1,
    Priority,
    TicketCreatedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
)
from ticketflow_shared.metrics import STORE_COMMANDS
from ticketflow_shared.outbox import outbox_entry
from ticketflow_shared.serialized import lone_on_ferretdb

pytestmark = pytest.mark.integration


class AboutTicket(monitoring.CommandListener):
    """Counts store commands, by (command, collection), whose text names `ticket_id`."""

    def __init__(self) -> None:
        self.ticket_id: str | None = None
        self.counts: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.ticket_id is None or self.ticket_id not in str(event.command):
            return
        name = event.command_name
        self.counts[name, str(event.command.get(name))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMANDS = AboutTicket()
monitoring.register(COMMANDS)  # for the clients made from here on: the apps below


def knows_resolutions(app) -> bool:
    """Whether the app is alone on FerretDB, where it knows which tickets have none."""
    return lone_on_ferretdb(app.state.runtime.db[RESOLUTIONS])


async def counted_new_ticket(app, bus_probe, outcome: str) -> Counter[tuple[str, str]]:
    """The store commands about one new ticket while routing handles its ticket.created,
    once routing has published `outcome` for it."""
    ticket_id = new_id("T")
    envelope = created(ticket_id)
    COMMANDS.ticket_id, COMMANDS.counts = ticket_id, Counter()
    try:
        payload = TicketCreatedV1.model_validate(envelope.data)
        await handlers.ticket_created(payload, app.state.stores, envelope.position())
    finally:
        COMMANDS.ticket_id = None
    await bus_probe.wait_for(outcome, subject=ticket_id)
    return COMMANDS.counts


async def test_a_new_ticket_nobody_can_take_is_queued_without_needless_reads(namespace, bus_probe):
    app = routing_app(namespace, sweep_seconds=3600)
    async with serve_in_process(app) as http:
        counts = await counted_new_ticket(app, bus_probe, QUEUED)
        [queued] = bus_probe.of_type(QUEUED)
        decision = (await http.get(f"/tickets/{queued.subject}/routing")).json()

    # Only the look after queueing reads holder and resolution: the first one knows that
    # nobody can hold or resolve a ticket routing has just recorded. A process alone on
    # FerretDB, where nothing wrote agents or claims since the first look, skips that look.
    assert counts["find", "resolutions"] == (0 if knows_resolutions(app) else 1)
    assert counts["find", "assignments"] == (0 if knows_resolutions(app) else 1)
    assert decision["outcome"] == "queued: nobody eligible"
    assert decision["queued_at"][:23] == queued.data["queued_at"][:23]  # stored to the ms
    # No offer was ever made, so nobody can have declined it.
    assert counts["find", "offer_cooldowns"] == 0
    # One decision, the last look's, and one queue entry.
    assert counts["update", "routing_decisions"] == 1
    assert counts["insert", "queue"] == 1
    # Its SLA clocks start after this and place it in the queue themselves.
    assert counts["find", "sla_tickets"] == 0
    # What remains are the writes' own look-ups on FerretDB (none on MongoDB): announcing
    # the held ticket.queued and emptying the outbox after publishing it. Alone on FerretDB
    # the process knows the entry as it inserted it, and its outbox as it filled it.
    assert counts["find", "queue"] == 0 if knows_resolutions(app) else counts["find", "queue"] <= 2


async def test_a_new_ticket_given_at_once_reads_back_nothing_it_wrote(namespace, bus_probe):
    app = routing_app(namespace, sweep_seconds=3600)
    async with serve_in_process(app) as http:
        await put_agent(http, new_id("ana"))
        counts = await counted_new_ticket(app, bus_probe, ASSIGNED)

    # Never queued: the queue is not looked at, and nothing goes into it.
    assert counts["find", "queue"] == 0
    assert counts["insert", "queue"] == 0
    # The claim is inserted, announced and emptied after publishing without the code reading
    # it back; FerretDB's layer reads it once before each of the two conditional writes.
    assert counts["insert", "assignments"] == 1
    assert counts["update", "assignments"] == 2
    assert counts["find", "assignments"] <= 2
    # The resolve check that makes a claim and a resolve see each other stays; alone on
    # FerretDB a process answers it itself, as any resolve would be its own.
    assert counts["find", "resolutions"] == (0 if knows_resolutions(app) else 1)
    assert counts["update", "routing_decisions"] == 1


# --- The whole life of a ticket: created, assigned, opened by intake, solved ------------------

# Background jobs polled once an hour, so that what is counted is what the tickets cost.
QUIET = {
    "sweep_seconds": 3600,
    "offer_poll_seconds": 3600,
    "sla_poll_seconds": 3600,
    "auth_key_refresh_seconds": 3600,
}
# Copies of small collections re-read at most every few seconds, not per ticket: how many of
# those reads fall in a count depends on the time it took, so they are shown but not pinned.
REFRESHED = {"routing_rules", "queue_policies", "departments", "sla_policies", "api_keys"}
LIVES = 4
LONE: dict[str, bool] = {}  # per test namespace: whether its app was alone on FerretDB


def from_intake(payload, sequence: int) -> Envelope:
    return Envelope.wrap(payload, source=INTAKE, subject=payload.ticket_id, sequence=sequence)


def opened(ticket_id: str) -> Envelope:
    """The status change intake records once routing's ticket.assigned reaches it."""
    return from_intake(status_change(ticket_id, TicketStatus.open, TicketStatus.new), 2)


def solved(ticket_id: str, agent_id: str) -> list[Envelope]:
    """What intake publishes when a ticket is solved: the status change, then ticket.resolved."""
    change = status_change(ticket_id, TicketStatus.solved, TicketStatus.open, agent_id=agent_id)
    resolution = TicketResolvedV1(ticket_id=ticket_id, agent_id=agent_id, resolved_at=T0)
    return [from_intake(change, 3), from_intake(resolution, 4)]


def status_change(
    ticket_id: str, new: TicketStatus, previous: TicketStatus, **fields: object
) -> TicketStatusChangedV1:
    return TicketStatusChangedV1(
        ticket_id=ticket_id,
        status=new,
        previous=previous,
        actor="system",
        department="billing",
        changed_at=T0,
        **fields,
    )


class RoutingRecords:
    """Reads routing's ticket records on a client of its own, which nothing counts."""

    def __init__(self, namespace) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
        self.tickets = self.client[namespace.database("routing")][TICKETS]

    async def routed(self, ticket_id: str) -> None:
        async def check() -> bool:
            doc = await self.tickets.find_one({"_id": ticket_id})
            return bool(doc and doc.get("routed"))

        await eventually(check)

    async def applied(self, ticket_id: str, sequence: int) -> None:
        async def check() -> bool:
            doc = await self.tickets.find_one({"_id": ticket_id})
            return bool(doc and (doc.get("applied") or {}).get("intake", 0) >= sequence)

        await eventually(check)


async def settled() -> None:
    """Return once the routing process has sent no store command for a while."""
    last = None
    while (sent := sum(STORE_COMMANDS.counts.values())) != last:
        last = sent
        await asyncio.sleep(0.4)


def per_ticket(before: Counter, lives: int) -> dict[tuple[str, str], float]:
    spent = Counter(STORE_COMMANDS.counts)
    spent.subtract(before)
    return {key: count / lives for key, count in sorted(spent.items()) if count}


def shown(title: str, counts: dict[tuple[str, str], float]) -> float:
    """Print the counts per ticket, largest first; the total of those pinned."""
    print(f"\n{title}: store commands per ticket")
    for (command, collection), count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"  {count:6.2f}  {command} {collection}")
    total = sum(count for (_, collection), count in counts.items() if collection not in REFRESHED)
    print(f"  {total:6.2f}  in all (less the refreshed copies)")
    return total


async def life_at_once(namespace, bus_probe) -> dict[tuple[str, str], float]:
    """Per ticket, over `LIVES` tickets one after another: each assigned at once to a free
    agent, opened by intake, then solved."""
    records = RoutingRecords(namespace)
    app = routing_app(namespace, **QUIET)
    try:
        async with serve_in_process(app) as http:
            await put_agent(http, "solo", capacity=1)
            await settled()
            before = Counter(STORE_COMMANDS.counts)
            for _ in range(LIVES):
                ticket_id = new_id("T")
                await bus_probe.publish(created_in("billing", ticket_id))
                await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
                await records.routed(ticket_id)
                await bus_probe.publish(opened(ticket_id))
                await records.applied(ticket_id, 2)
                for event in solved(ticket_id, "solo"):
                    await bus_probe.publish(event)
                await records.applied(ticket_id, 4)
                await settled()
            LONE[namespace.token] = knows_resolutions(app)
            return per_ticket(before, LIVES)
    finally:
        await records.client.close()


async def life_queued(namespace, bus_probe) -> dict[tuple[str, str], float]:
    """Per ticket, over `LIVES` tickets: each queued behind the one its agent holds, given to
    the agent when that one is solved, opened by intake, and solved in turn."""
    records = RoutingRecords(namespace)
    app = routing_app(namespace, **QUIET)
    try:
        async with serve_in_process(app) as http:
            await put_agent(http, "solo", capacity=1)
            held = new_id("T")
            await bus_probe.publish(created_in("billing", held))
            await bus_probe.wait_for(ASSIGNED, subject=held)
            await records.routed(held)
            await bus_probe.publish(opened(held))
            await records.applied(held, 2)
            await settled()
            before = Counter(STORE_COMMANDS.counts)
            for _ in range(LIVES):
                waiting = new_id("T")
                await bus_probe.publish(created_in("billing", waiting))
                await bus_probe.wait_for(QUEUED, subject=waiting)
                await records.routed(waiting)
                for event in solved(held, "solo"):
                    await bus_probe.publish(event)
                await bus_probe.wait_for(ASSIGNED, subject=waiting)
                await records.applied(held, 4)
                await records.routed(waiting)
                await bus_probe.publish(opened(waiting))
                await records.applied(waiting, 2)
                await settled()
                held = waiting
            LONE[namespace.token] = knows_resolutions(app)
            return per_ticket(before, LIVES)
    finally:
        await records.client.close()


async def test_the_life_of_a_ticket_given_at_once(namespace, bus_probe):
    counts = await life_at_once(namespace, bus_probe)
    total = shown("created, assigned at once, opened, solved", counts)
    # Pinned as measured on FerretDB, its workarounds on, one routing process.
    assert total <= 35 or not LONE[namespace.token]
    # Each event comes with intake's sequence, which the handlers compare: no inbox read.
    assert counts.get(("find", "inbox"), 0) == 0
    # One record, one claim, one resolution per ticket.
    assert counts["insert", TICKETS] == 1
    assert counts["insert", "assignments"] == 1
    # The solve's two events take turns: the second finds the claim released and the
    # resolution recorded, and neither releases nor records again.
    assert counts["insert", "resolutions"] == 1
    assert counts["delete", "assignments"] == 1
    # The choice reads the agents, the release its agent; the drain after it goes on from
    # the agent as the release left it.
    assert counts["find", "agents"] == 2
    # Read once, by ticket.resolved after the status change recorded it: the lone process
    # knew the ticket had none before (beside others it reads at every look).
    assert counts["find", RESOLUTIONS] == (1 if LONE[namespace.token] else 4)
    # No SLA policy covers it: alone on FerretDB, its status changes know it has no clocks.
    assert counts.get(("find", "sla_tickets"), 0) == (0 if LONE[namespace.token] else 2)


async def test_the_life_of_a_ticket_that_waits(namespace, bus_probe):
    counts = await life_queued(namespace, bus_probe)
    total = shown("created, queued, assigned when a slot frees, opened, solved", counts)
    assert total <= 42 or not LONE[namespace.token]
    assert counts.get(("find", "inbox"), 0) == 0
    # One look for the new ticket (alone on FerretDB, nothing freed an agent while it was
    # queued), one read by the release; the drain neither reads the agent the release left
    # nor, once its claim filled the agent, reads it again to stop.
    assert counts["find", "agents"] == (2 if LONE[namespace.token] else 3)
    assert counts["find", RESOLUTIONS] == (1 if LONE[namespace.token] else 5)
    # Nobody declined it: alone on FerretDB, the drain knows it has no cooldowns to read.
    assert counts.get(("find", "offer_cooldowns"), 0) == (0 if LONE[namespace.token] else 1)
    assert counts["insert", TICKETS] == 1
    assert counts["insert", "queue"] == 1
    # One drain gives the freed slot to the waiting ticket: no second claimer races for it.
    assert counts["insert", "assignments"] == 1
    assert counts["insert", "resolutions"] == 1
    assert counts["findAndModify", TICKETS] == 2  # ticket.queued's version, the claim's


async def test_a_repeat_of_each_event_of_a_life_changes_nothing_and_reads_no_inbox(
    namespace, bus_probe
):
    records = RoutingRecords(namespace)
    ticket_id = new_id("T")
    life = [created_in("billing", ticket_id), opened(ticket_id), *solved(ticket_id, "solo")]
    app = routing_app(namespace, **QUIET)
    try:
        async with serve_in_process(app) as http:
            await put_agent(http, "solo", capacity=1)
            await bus_probe.publish(life[0])
            await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
            await records.routed(ticket_id)
            for event in life[1:]:
                await bus_probe.publish(event)
            await records.applied(ticket_id, 4)
            await settled()
            await all_published_so_far(bus_probe)
            seen = len(bus_probe.events)
            before = Counter(STORE_COMMANDS.counts)

            for event in life:  # redelivered, as after an ack lost with its connection
                await bus_probe.publish(event)
            await settled()
            repeats = per_ticket(before, 1)
            await all_published_so_far(bus_probe)
            stored = await records.tickets.find_one({"_id": ticket_id})
            agent = (await http.get("/agents/solo")).json()
    finally:
        await records.client.close()

    shown("each event of a life again", repeats)
    # The sequences told the repeats: the inbox was not asked, and nothing was written but
    # inserts the store refused, having their `_id`s: the inbox's notes and the ticket's record.
    assert repeats.get(("find", "inbox"), 0) == 0
    writes = {key for key in repeats if key[0] in ("insert", "update", "delete", "findAndModify")}
    assert writes == {("insert", "inbox"), ("insert", TICKETS)}
    # Routing published nothing again, and the ticket stays solved and its agent free.
    assert [e.type for e in bus_probe.events[seen:] if e.source == "/ticketflow/routing"] == []
    assert stored["applied"] == {"intake": 4} and stored["routed"] is True
    assert agent["active_tickets"] == []


@pytest.mark.parametrize("cross_process", [False, True])
async def test_a_ticket_known_unresolved_is_read_again_once_resolved(namespace, cross_process):
    app = routing_app(namespace, **QUIET, store_cross_process_locks=cross_process)
    async with serve_in_process(app):
        stores = app.state.stores
        ticket = RoutingTicket(new_id("T"), "billing", Priority.normal, T0, SkillRequirement("x"))
        await stores.tickets.add(ticket, stores.now())
        before = Counter(STORE_COMMANDS.counts)
        assert await stores.resolutions.get(ticket.ticket_id) is None
        assert await stores.resolutions.get(ticket.ticket_id) is None
        reads = STORE_COMMANDS.counts["find", RESOLUTIONS] - before["find", RESOLUTIONS]
        # Alone on FerretDB the record's insert told it; beside other processes it reads.
        assert reads == (0 if knows_resolutions(app) else 2)
        # Alone means FerretDB with its workarounds on (MongoDB, or the pass with them off,
        # reads as several processes do).
        assert knows_resolutions(app) is (app.state.runtime.db.serialize and not cross_process)

        solved = Resolution(ticket.ticket_id, "ana", T0, TicketStatus.solved)
        looks = [stores.resolutions.get(ticket.ticket_id) for _ in range(3)]
        # Looks made while the resolution is being recorded learn nothing from what they find.
        first, *found = await asyncio.gather(
            *looks[:1], stores.resolutions.record(solved, [], stores.now()), *looks[1:]
        )
        assert first in (None, solved)  # the first look may come before it
        assert found[0] is True and all(look in (None, solved) for look in found[1:])
        assert await stores.resolutions.get(ticket.ticket_id) == solved
        assert await stores.resolutions.remove(ticket.ticket_id)
        assert await stores.resolutions.get(ticket.ticket_id) is None


async def test_an_agent_freed_while_a_new_ticket_is_queued_gets_it(namespace, bus_probe):
    """The look after queueing is skipped only if nothing was written meanwhile: here the
    agent's other ticket is resolved just before the queue entry goes in, too early for its
    drain to see the entry."""
    held, waiting = new_id("T"), new_id("T")
    app = routing_app(namespace, **QUIET)
    async with serve_in_process(app) as http:
        await put_agent(http, "solo", capacity=1)
        await bus_probe.publish(created_in("billing", held))
        await bus_probe.wait_for(ASSIGNED, subject=held)
        stores = app.state.stores

        async def resolve_held() -> None:
            resolution = TicketResolvedV1(ticket_id=held, agent_id="solo", resolved_at=T0)
            await handlers.ticket_resolved(resolution, stores)

        stores.queue.collection = RunsFirst(stores.queue.collection, "insert_one", resolve_held)
        payload = TicketCreatedV1.model_validate(created_in("billing", waiting).data)
        await handlers.ticket_created(payload, stores)

        [assigned] = await bus_probe.wait_for(ASSIGNED, subject=waiting)
        assert assigned.data["agent_id"] == "solo"
        assert (await http.get("/agents/solo")).json()["active_tickets"] == [waiting]
        assert (await http.get("/queue")).json()["data"] == []


@pytest.mark.parametrize("cross_process", [False, True])
async def test_an_event_added_to_a_claim_as_it_is_released_still_goes_out(
    namespace, bus_probe, cross_process
):
    """The release takes the claim's outbox as read plus its own entries, unread: an entry
    written in between, by this process or another, is still published before the delete."""
    ticket_id, marker = new_id("T"), new_id("M")
    app = routing_app(namespace, **QUIET, store_cross_process_locks=cross_process)
    records = RoutingRecords(namespace)
    other = records.client
    try:
        async with serve_in_process(app) as http:
            await put_agent(http, "solo", capacity=1)
            await bus_probe.publish(created_in("billing", ticket_id))
            await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
            await records.routed(ticket_id)
            stores = app.state.stores
            extra = Envelope.wrap(
                NotificationSentV1(
                    notification_id=marker,
                    ticket_id=ticket_id,
                    cause_event_id=marker,
                    cause_event_type="test.marker",
                    recipient="marker@example.com",
                    template="marker",
                    sent_at=T0,
                ),
                source="/tests/routing",
                subject=marker,
            )
            # This process's own write (seen by its outbox relay), or another process's.
            claims = (
                app.state.runtime.db if not cross_process else other[namespace.database("routing")]
            )

            async def add_event() -> None:
                push = {"$push": {"outbox": outbox_entry(extra)}, "$min": {"outbox_since": T0}}
                await claims[ASSIGNMENTS].update_one({"_id": ticket_id}, push)

            real = stores.assignments.collection
            stores.assignments.collection = RunsFirst(real, "update_one", add_event)
            retried = False
            try:
                released = await assigning.release(ticket_id, stores)
            except EventsNotPublished:  # left in the outbox: the claim is kept for a next try
                retried, stores.assignments.collection = True, real
                released = await assigning.release(ticket_id, stores)
            # This process's relay saw its own write and published the whole stored outbox.
            assert retried is cross_process
            assert released is not None and released.agent_id == "solo"
            await bus_probe.wait_for("notification.sent.v1", subject=marker)
            assert await real.find_one({"_id": ticket_id}) is None
            assert (await http.get("/agents/solo")).json()["active_tickets"] == []
    finally:
        await other.close()


@pytest.mark.parametrize("cross_process", [False, True])
async def test_a_ticket_known_not_queued_is_seen_once_queued_again(namespace, cross_process):
    app = routing_app(namespace, **QUIET, store_cross_process_locks=cross_process)
    async with serve_in_process(app):
        stores = app.state.stores
        ticket = RoutingTicket(new_id("T"), "billing", Priority.normal, T0, SkillRequirement("x"))
        await stores.tickets.add(ticket, stores.now())
        before = STORE_COMMANDS.counts["find", "queue"]
        assert await stores.queue.get(ticket.ticket_id) is None
        assert not await stores.queue.remove(ticket.ticket_id)
        reads = STORE_COMMANDS.counts["find", "queue"] - before
        assert reads == (0 if knows_resolutions(app) else 2)

        for _ in range(2):  # queued, taken out (as by a claim), and queued again
            assert await stores.queue.enqueue(ticket, [], stores.now())
            assert (await stores.queue.get(ticket.ticket_id)).ticket.ticket_id == ticket.ticket_id
            assert await stores.queue.remove(ticket.ticket_id)
            assert await stores.queue.get(ticket.ticket_id) is None
        assert await stores.queue.size() == 0


async def test_a_ticket_a_policy_covers_keeps_its_clocks_read(namespace, bus_probe):
    """Only a ticket created without SLA clocks is known to have none: one with clocks has
    each status change applied to them."""
    ticket_id = new_id("T")
    records = RoutingRecords(namespace)
    app = routing_app(namespace, **QUIET)
    try:
        async with serve_in_process(app) as http:
            policy = {"targets": {"normal": {"first_response": 60, "resolution": 3600}}}
            assert (await http.put("/sla/policies/standard", json=policy)).status_code == 200
            await put_agent(http, "solo", capacity=1)
            await bus_probe.publish(created_in("billing", ticket_id))
            await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
            await records.routed(ticket_id)
            for event in solved(ticket_id, "solo"):
                await bus_probe.publish(event)
            await records.applied(ticket_id, 4)
            await settled()
            clocks = (await http.get(f"/tickets/{ticket_id}/sla")).json()["clocks"]
    finally:
        await records.client.close()
    # The solve reached the clocks: the resolution target is met (it ran before it).
    assert {c["target"]: c["state"] for c in clocks}["resolution"] == "met"


async def test_a_queued_ticket_announced_after_it_left_and_came_back_publishes_nothing_old(
    namespace, bus_probe
):
    """Announcing vouches for the queue entry only if this process inserted it and nothing
    took its held events since: here it is removed and queued again in between."""
    app = routing_app(namespace, **QUIET)
    async with serve_in_process(app):
        stores = app.state.stores
        ticket = RoutingTicket(new_id("T"), "billing", Priority.normal, T0, SkillRequirement("x"))
        await stores.tickets.add(ticket, stores.now())
        first = await assigning.enqueue(ticket, stores, new=True)
        again: list[assigning.Queued] = []

        async def requeue() -> None:
            assert await stores.queue.remove(ticket.ticket_id)
            again.append(await assigning.enqueue(ticket, stores))

        real = stores.queue.collection
        stores.queue.collection = RunsFirst(real, "update_one", requeue)
        await assigning.announce_queued(ticket.ticket_id, first, stores)
        stores.queue.collection = real
        entry = await real.find_one({"_id": ticket.ticket_id})
        await all_published_so_far(bus_probe)

    assert first.held is not None and again[0].held is not None
    # The entry queued again still holds its own ticket.queued, unannounced; the first one's
    # went nowhere.
    assert [e["id"] for e in entry["held_events"]] == [again[0].held[0].id]
    assert not entry.get("outbox")
    assert bus_probe.of_type(QUEUED, subject=ticket.ticket_id) == []


async def test_a_claim_announced_after_it_was_released_and_made_again_sends_the_new_one(
    namespace, bus_probe
):
    """Announcing a fresh claim vouches for it only if no release or other announce of the
    ticket's claim began since it was made: here one is released and the ticket claimed
    again between the announce's start and its write."""
    app = routing_app(namespace, **QUIET)
    async with serve_in_process(app) as http:
        await put_agent(http, "solo", capacity=2)
        stores = app.state.stores
        need = SkillRequirement("billing")
        ticket = RoutingTicket(new_id("T"), "billing", Priority.normal, T0, need)
        await stores.tickets.add(ticket, stores.now())
        agent = await views.agent("solo", stores)

        async def claim(slot_agent) -> str:
            assignment = slot_agent.assign(ticket, stores.now())
            [event] = [
                e for e in assigning.recorded(slot_agent.pull_events()) if e.type == ASSIGNED
            ]
            assert await stores.assignments.claim(assignment, [event]) is ClaimResult.claimed
            return event.id

        first = await claim(agent)
        second: list[str] = []

        async def release_and_claim_again() -> None:
            assert await assigning.release(ticket.ticket_id, stores) is not None
            second.append(await claim(await views.agent("solo", stores)))

        real = stores.assignments.collection
        stores.assignments.collection = RunsFirst(real, "update_one", release_and_claim_again)
        await stores.assignments.announce(ticket.ticket_id, stores.now())
        stores.assignments.collection = real
        await all_published_so_far(bus_probe)

    # The claim standing is the second, announced with its own event; the first one's never
    # went out.
    sent = {e.id for e in bus_probe.of_type(ASSIGNED, subject=ticket.ticket_id)}
    assert sent == {second[0]} and first not in sent
