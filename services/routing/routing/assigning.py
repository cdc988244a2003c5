"""Giving tickets to agents, safely from any number of routing processes at once.

No locks and no transactions: a claim is one insert that the store refuses when the slot
or the ticket is already taken, so racing claimers cannot overfill an agent or assign a
ticket twice. Whoever loses a race looks again.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from routing import explain, offers
from routing.domain import Agent, Assignment, RoutingTicket, SkillRequirement
from routing.domain.assignment import queue_order
from routing.domain.offers import Offer, OfferSettings
from routing.domain.selection import select
from routing.domain.shifts import ShiftWindows
from routing.ports import ClaimResult, Stores
from ticketflow_shared.events import AgentUpdatedV1, Envelope, OfferOutcome, Payload, Position
from ticketflow_shared.outbox import recorded_events

log = logging.getLogger(__name__)
SOURCE = "/ticketflow/routing"
MAX_SLOT_RACES = 50
MAX_DRAIN_STEPS = 1000
RECENT = timedelta(hours=1)  # the fairness cap's rolling window
SHIFTS = ShiftWindows()  # calendar windows, cached per shift until they end


class Outcome(StrEnum):
    assigned = "assigned"
    no_agent = "no_agent"  # nobody can take it now
    taken = "taken"  # someone holds it already, or it is resolved
    offered = "offered"  # reserved for an agent, who has yet to accept it


def recorded(
    events: list[Payload], *, agent_version: int | None = None, ticket_version: int | None = None
) -> list[Envelope]:
    """Envelopes for routing's events: agent.updated is about its agent, at the agent's
    version; the others are about a ticket, at the version of routing's record of it."""
    envelopes = []
    for event in events:
        if isinstance(event, AgentUpdatedV1):
            subject, sequence = event.agent_id, agent_version
        else:
            subject, sequence = event.ticket_id, ticket_version
        [envelope] = recorded_events([event], source=SOURCE, subject=subject)
        envelopes.append(envelope.in_sequence(sequence))
    return envelopes


async def with_loads(agents: list[Agent], stores: Stores) -> list[Agent]:
    held = await stores.assignments.held_by([agent.agent_id for agent in agents])
    for agent in agents:
        agent.held = held.get(agent.agent_id, {})
    return agents


async def route(
    ticket: RoutingTicket,
    stores: Stores,
    *,
    own_department: bool | None = None,
    position: Position | None = None,
    unseen: bool = False,
) -> Outcome:
    """Assign a ticket, or queue it, look once more, and only then announce it queued.

    `own_department`: only agents of the ticket's department (default: if the ticket says
    so). `position`: the event that asked for this, recorded as applied once it is done.
    `unseen`: routing recorded the ticket just now, so nobody holds, resolved, queued or
    declined it yet and the first look skips reading that; the look after queueing it reads
    holder and resolution again, for whatever raced with this.
    """
    # Read once for both looks, milliseconds apart: a decline in between would need an offer
    # of this ticket made and answered meanwhile.
    declined = set() if unseen else await declined_recently(ticket.ticket_id, stores)
    writes = stores.agent_writes if unseen else None
    mark = writes.mark() if writes is not None else 0
    first: explain.Look | None = None
    if unseen:  # nothing to check before choosing (see `assign`)
        outcome, first = await choose(
            ticket, stores, own_department=own_department, queue_known=True, record_miss=False
        )
    else:
        outcome = await assign(
            ticket,
            stores,
            own_department=own_department,
            declined=declined,
            # The second look records the decision of a ticket nobody could take.
            record_miss=False,
        )
    if outcome is Outcome.no_agent:
        queued = await enqueue(ticket, stores, new=unseen)
        if (
            first is not None
            and writes is not None
            and queued.held is not None
            and writes.quiet_since(mark)
        ):
            # Nothing could take more since the first look read them, nor claim the ticket:
            # a second look would find what it found (see `adapters.watched`).
            await explain.record(stores, ticket, first.missed(ticket, queued.at))
        else:
            # An agent freed while we looked could not see this ticket in the queue yet; and
            # another copy of this ticket may have claimed it, with a lower sequence number
            # than this ticket.queued: announcing it then would leave "queued" as the last word.
            outcome = await assign(
                ticket,
                stores,
                own_department=own_department,
                declined=declined,
                queued_at=queued.at if queued.held is not None else None,
                queue_known=queued.held is not None,
            )
        if outcome is Outcome.no_agent:
            await announce_queued(ticket.ticket_id, queued, stores)
    await stores.tickets.mark_routed(ticket.ticket_id, position)
    return outcome


@dataclass(frozen=True)
class Queued:
    """A ticket put in the queue: when, and its held events if this very call queued it."""

    at: datetime
    held: list[Envelope] | None


async def enqueue(ticket: RoutingTicket, stores: Stores, *, new: bool = False) -> Queued:
    """Put `ticket` in the queue, its ticket.queued held back until announced. `new`: as
    `unseen` for `route`."""
    now = stores.now()  # one reading: the queue entry's time is the event's
    version = await stores.tickets.next_version(ticket.ticket_id)
    queued = recorded([ticket.queued(now)], ticket_version=version)
    inserted = await stores.queue.enqueue(ticket, queued, now, new)
    return Queued(now, queued if inserted else None)


async def announce_queued(ticket_id: str, queued: Queued, stores: Stores) -> None:
    """Publish the ticket.queued held by the queue entry `queued` made (once)."""
    await stores.queue.announce(ticket_id, queued.at, held=queued.held)


async def assign(
    ticket: RoutingTicket,
    stores: Stores,
    *,
    own_department: bool | None = None,
    declined: Collection[str] | None = None,
    unseen: bool = False,
    queued_at: datetime | None = None,
    queue_known: bool = False,
    record_miss: bool = True,
) -> Outcome:
    """Give `ticket` to the best agent able to take it now (of its department only, if
    `own_department`, by default if the ticket says so).

    `declined`: agents not to offer it to, read here when not given. `unseen`: the ticket is
    new to routing (see `route`). `queue_known`: the caller knows when the ticket was queued
    (`queued_at`, None if it is not). `record_miss`: record the decision when nobody can take it.
    """
    if not unseen:
        if await stores.resolutions.get(ticket.ticket_id) is not None:
            await stores.queue.remove(ticket.ticket_id)
            return Outcome.taken
        if await stores.assignments.of_ticket(ticket.ticket_id) is not None:
            # Held already; if a crash cut its claimer short (a redelivery or a retry brings
            # us here), announce it now. Announcing an announced claim publishes nothing new.
            await confirm(ticket.ticket_id, stores)
            return Outcome.taken
    if declined is None:
        declined = await declined_recently(ticket.ticket_id, stores)
    outcome, _ = await choose(
        ticket,
        stores,
        own_department=own_department,
        declined=declined,
        queued_at=queued_at,
        queue_known=queue_known or unseen,
        record_miss=record_miss,
    )
    return outcome


async def choose(
    ticket: RoutingTicket,
    stores: Stores,
    *,
    own_department: bool | None = None,
    only: Agent | None = None,
    declined: Collection[str] = frozenset(),
    queued_at: datetime | None = None,
    queue_known: bool = False,
    record_miss: bool = True,
) -> tuple[Outcome, explain.Look]:
    """Evaluate the candidates under the ticket's policy, claim for the best one that still
    can, and record the decision. `only`: consider that agent alone (a drain).
    `queue_known`, `queued_at`, `record_miss`: as for `assign`."""
    now = stores.now()
    plan = await explain.plan_for(ticket, stores, now, queued_at=queued_at, look_up=not queue_known)
    if only is not None:
        pool = [only]
    else:
        pool = await stores.agents.available_for(plan.needs.required[0])
        if ticket.department_only if own_department is None else own_department:
            pool = [agent for agent in pool if agent.serves(plan.department)]
        pool = await with_loads([agent for agent in pool if agent.may_get(ticket)], stores)
    recent: dict[str, int] = {}
    if plan.needs.fairness_cap is not None:  # the counts matter only to a cap
        since = now - RECENT
        recent = {agent.agent_id: agent.assigned_since(since) for agent in pool}
    evaluation = select(
        pool,
        plan.needs,
        language=ticket.language,
        on_shift=SHIFTS.at(now),
        declined=declined,
        recent=recent,
    )
    outcome, chosen = Outcome.no_agent, None
    queued = not (queue_known and queued_at is None)
    for agent in evaluation.ranked:
        outcome = await claim(agent, plan.effective(ticket), stores, queued=queued)
        if outcome is not Outcome.no_agent:
            chosen = agent if outcome is Outcome.assigned else None
            break
    # A drain looks at one agent only: its misses would hide the ticket's full decision.
    if chosen is not None or (only is None and record_miss and outcome is Outcome.no_agent):
        await explain.record(
            stores, ticket, explain.decision(ticket, plan, evaluation, chosen, now)
        )
    if chosen is not None:
        await stores.agents.note_assigned(chosen, now)
    return outcome, explain.Look(plan, evaluation, now)


async def declined_recently(ticket_id: str, stores: Stores) -> set[str]:
    """Agents not to be offered `ticket_id` now: they declined it or let it run out lately."""
    if stores.offers is None:
        return set()
    return await stores.offers.declined_recently(ticket_id, stores.now())


async def _offer_settings(agent: Agent, ticket: RoutingTicket, stores: Stores) -> OfferSettings:
    """The offer policy of the ticket's department (else the agent's), if offers are on."""
    if stores.offers is None:
        return OfferSettings()
    return await offers.settings_for(ticket.department or agent.department, stores)


async def claim(
    agent: Agent, ticket: RoutingTicket, stores: Stores, *, offer: bool = True, queued: bool = True
) -> Outcome:
    """Put `ticket` into a free slot of `agent`; `no_agent` once the agent cannot take it.

    In a department that offers tickets (and unless `offer` is False: someone chose the
    agent by hand) the claim is an offer: it holds the slot and the ticket, and is announced
    only when the agent accepts it. `queued`: False when the caller knows the ticket is not
    in the queue, which then is not looked at.
    """
    settings = await _offer_settings(agent, ticket, stores) if offer else OfferSettings()
    version: int | None = None
    offer_version: int | None = None
    for _ in range(MAX_SLOT_RACES):
        if not agent.can_take(ticket.requirement):
            return Outcome.no_agent
        if settings.offers and offer_version is None:
            # Below the claim's own: ticket.offered goes out before ticket.assigned.
            offer_version = await stores.tickets.next_version(ticket.ticket_id)
        if version is None:
            # Taken before the claim, so it is above the ticket.queued this claim follows.
            # A lost slot race records nothing, so the next try may reuse it.
            version = await stores.tickets.next_version(ticket.ticket_id)
        now = stores.now()
        assignment = agent.assign(ticket, now)
        events = recorded(agent.pull_events(), agent_version=agent.version, ticket_version=version)
        made: Offer | None = None
        if settings.offers:
            department = ticket.department or agent.department
            made = Offer.make(ticket.ticket_id, agent.agent_id, department, settings, now)
            offered = recorded(made.pull_events(), ticket_version=offer_version)
            result = await stores.assignments.claim(assignment, events, made, offered)
        else:
            result = await stores.assignments.claim(assignment, events)
        if result is ClaimResult.claimed:
            if made is None:
                return await _announce(ticket.ticket_id, stores, queued=queued)
            return await _offered(made, stores, queued=queued)
        if result is ClaimResult.ticket_taken:
            await stores.queue.remove(ticket.ticket_id)
            return Outcome.taken
        await with_loads([agent], stores)  # another claimer won that slot
    return Outcome.no_agent


async def _offered(offer: Offer, stores: Stores, *, queued: bool = True) -> Outcome:
    """A fresh offer: out of the queue (it is reserved now), its timer armed; unless the
    ticket was resolved meanwhile, as `_announce` checks for a claim."""
    if await stores.resolutions.get(offer.ticket_id) is not None:
        await release(offer.ticket_id, stores)  # withdraws the offer
        await stores.queue.remove(offer.ticket_id)
        return Outcome.taken
    if queued:
        await stores.queue.remove(offer.ticket_id)  # publishes a pending ticket.queued.v1 first
    assert stores.offers is not None
    await stores.offers.publish_offered(offer.ticket_id)
    if stores.offer_timers is not None:
        stores.offer_timers.arm(offer)
    return Outcome.offered


async def confirm(ticket_id: str, stores: Stores) -> Outcome:
    """Announce a claim on `ticket_id`, or release it when the ticket was resolved meanwhile.

    A claim that is an offer is announced only once its agent accepted it: one still
    waiting for an answer stays as it is, and one declined or expired is moved on.
    """
    pending = await stores.offers.of_ticket(ticket_id) if stores.offers else None
    if pending is not None:
        ended = await stores.offers.ended(pending.offer_id)
        if ended is None:
            return Outcome.offered
        if ended.outcome is not OfferOutcome.accepted:
            await offers.finish_settled(pending, stores)
            return Outcome.taken
    return await _announce(ticket_id, stores)


async def _announce(ticket_id: str, stores: Stores, *, queued: bool = True) -> Outcome:
    """Announce a claim unless its ticket was resolved; `queued` as for `claim`."""
    # A resolve records itself and then frees the holder; we claim and then look for the
    # resolve. Whichever runs second sees the other, so a resolved ticket never stays held.
    if await stores.resolutions.get(ticket_id) is not None:
        await release(ticket_id, stores)  # unannounced: silently; announced by another: -1
        await stores.queue.remove(ticket_id)
        return Outcome.taken
    if queued:
        await stores.queue.remove(ticket_id)  # publishes a pending ticket.queued.v1 first
    await stores.assignments.announce(ticket_id, stores.now())
    return Outcome.assigned


async def drain(agent_id: str, stores: Stores, *, agent: Agent | None = None) -> int:
    """Give a newly free agent the queued tickets it can take, most urgent and oldest first.

    `agent`: the agent with its loads as the caller read them a moment ago (a release), for
    the first step instead of reading them again; after a claim that held, the agent as it
    is here knows it holds one more. Loads out of date by a claim meanwhile make ours lose
    its slot race and read them again; whoever releases a slot drains it.
    """
    assigned = 0
    for _ in range(MAX_DRAIN_STEPS):
        if agent is None:
            agent = await stores.agents.get(agent_id)
            if agent is None:
                break
            await with_loads([agent], stores)
        if not agent.has_spare_capacity:
            break
        waiting = await stores.queue.waiting_for(agent, limit=agent.free_slots + 10)
        queued_at = {entry.ticket.ticket_id: entry.queued_at for entry in waiting}
        outcome = Outcome.no_agent
        for ticket in queue_order(agent, [entry.ticket for entry in waiting]):
            declined = await declined_recently(ticket.ticket_id, stores)
            outcome, _ = await choose(
                ticket,
                stores,
                only=agent,
                declined=declined,
                queued_at=queued_at[ticket.ticket_id],
                queue_known=True,
            )
            if outcome is not Outcome.no_agent:
                break
        if outcome is Outcome.no_agent:
            break
        assigned += outcome is Outcome.assigned
        if outcome not in (Outcome.assigned, Outcome.offered):
            agent = None  # its claim was refused or let go: what it holds is read again
    return assigned


@dataclass(frozen=True)
class Released:
    """A claim freed, and its agent with the loads it has left, if the release read them."""

    assignment: Assignment
    agent: Agent | None = None

    @property
    def agent_id(self) -> str:
        return self.assignment.agent_id


async def release(
    ticket_id: str, stores: Stores, *, offer_settled: bool = False
) -> Released | None:
    """Free the slot holding `ticket_id`; if its claim was announced, with the agent's new load.

    A claim that is a pending offer is withdrawn first (unless `offer_settled`: its decline
    or expiry is what frees it).
    """
    if stores.offers is not None and not offer_settled:
        pending = await stores.offers.of_ticket(ticket_id)
        if pending is not None:
            await offers.withdraw(pending, stores)
    now = stores.now()
    left: list[Agent] = []

    async def release_events(assignment: Assignment) -> list[Envelope]:
        agent = await stores.agents.get(assignment.agent_id)
        if agent is None:
            return []
        agent = (await with_loads([agent], stores))[0]
        if ticket_id not in agent.held.values():
            return []
        agent.release(ticket_id, now)
        left.append(agent)
        return recorded(agent.pull_events(), agent_version=agent.version)

    freed = await stores.assignments.release(ticket_id, release_events, now)
    if freed is None:
        return None
    return Released(freed, left[0] if left else None)


async def retry_queue(stores: Stores, limit: int) -> int:
    """Assign queued tickets that some agent can take now; drop entries already settled.

    Reads the queue `limit` entries at a time, leaving out lanes (need and department) found
    blocked, so a ticket someone can take is reached however many blocked ones wait before
    it. A queued ticket goes to an agent of its department (or anyone's, if it has none).
    """
    assigned = 0
    blocked: set[tuple[SkillRequirement, str | None]] = set()
    seen: set[str] = set()
    while True:
        page = await stores.queue.waiting(limit, excluding=blocked)
        entries = [entry for entry in page if entry.ticket.ticket_id not in seen]
        if not entries:
            return assigned
        for entry in entries:
            ticket = entry.ticket
            seen.add(ticket.ticket_id)
            if ticket.lane in blocked:
                # Nobody can take this lane now; an entry settled elsewhere is dropped when it
                # reaches the front (assign checks), not by a lookup per entry per tick.
                continue
            outcome = await assign(
                ticket, stores, own_department=True, queued_at=entry.queued_at, queue_known=True
            )
            if outcome is Outcome.no_agent and ticket.released_by is None:
                # (One put back by its agent may wait for another while that agent is free.)
                blocked.add(ticket.lane)
            assigned += outcome is Outcome.assigned


async def release_resolved(stores: Stores, limit: int) -> int:
    """Free slots still held for resolved tickets, e.g. because publishing the claim's events
    failed until the resolve was dead-lettered, or a crash cut the release short."""
    held = await stores.assignments.held_tickets()
    freed = 0
    for ticket_id in sorted(await stores.resolutions.resolved_among(held))[:limit]:
        try:
            released = await release(ticket_id, stores)
        except Exception:  # e.g. its events still cannot be published; the next pass retries
            log.warning("releasing resolved ticket %s failed", ticket_id, exc_info=True)
            continue
        if released is not None:
            freed += 1
            await drain(released.agent_id, stores)
    return freed


async def route_stale(stores: Stores, older_than: timedelta, limit: int) -> int:
    """Finish routing tickets whose first routing never completed (e.g. dead-lettered)."""
    stale = await stores.tickets.unrouted(stores.now() - older_than, limit)
    for ticket in stale:
        await route(ticket, stores)
    return len(stale)


async def announce_stale(stores: Stores, older_than: timedelta, limit: int) -> int:
    """Finish claims whose claimer died before announcing or releasing them. An offer still
    waiting for its answer is left to it (`confirm` never accepts one)."""
    stale = await stores.assignments.unannounced(stores.now() - older_than, limit)
    for ticket_id in stale:
        await confirm(ticket_id, stores)
    return len(stale)
