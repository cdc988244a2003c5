"""Offers answered and timed out: accept announces the claim, decline and expiry free it and
move the ticket on to the next candidate (or the queue).

Every ending goes through `_settle`, one insert under the offer's id: when an accept races
an expiry, in one process or several, exactly one of them acts.
"""

import logging
from dataclasses import replace
from datetime import timedelta

from routing import assigning
from routing.domain import DepartmentSettings
from routing.domain.offers import Cooldown, Offer, OfferClosed, OfferSettings, keeps_away
from routing.ports import Stores
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.errors import Conflict, NotAllowed, NotFound
from ticketflow_shared.events import OfferOutcome, Presence

log = logging.getLogger(__name__)
MAX_EDIT_ATTEMPTS = 5
RECOVER_AFTER = timedelta(seconds=10)
"""A settled offer whose claim is still there this long after was left by a crashed settler."""
WITHDRAWN = "the ticket was settled or moved"


class OfferNotFound(NotFound):
    def __init__(self, offer_id: str) -> None:
        super().__init__(f"unknown offer: {offer_id}")


class OfferEnded(Conflict):
    """The offer cannot be answered any more; the message says why."""


async def settings_for(department: str | None, stores: Stores) -> OfferSettings:
    found = await stores.departments.in_force(department) if department else None
    return (found or DepartmentSettings.default(department or "")).offer


async def _settle(offer: Offer, stores: Stores, *, publish: bool = True) -> bool:
    """Record how `offer` ended (its outcome set by the domain); True for the one who did."""
    version = await stores.tickets.next_version(offer.ticket_id)
    events = assigning.recorded(offer.pull_events(), ticket_version=version)
    assert stores.offers is not None
    if not await stores.offers.settle(offer, events, stores.now()):
        return False
    if stores.offer_timers is not None:
        stores.offer_timers.disarm(offer.offer_id)
    if publish:
        await stores.offers.publish_ended(offer.offer_id)
    return True


def may_see(caller: Principal, offer: Offer) -> bool:
    """The offered agent, and admins, supervisors and viewers of the offer's department."""
    if caller.id == offer.agent_id:
        return True
    staff = caller.has(Role.admin, Role.supervisor, Role.viewer)
    return staff and caller.scope().allows_department(offer.department)


def _check_may_answer(caller: Principal, offer: Offer) -> None:
    if caller.id == offer.agent_id or caller.has(Role.admin):
        return
    if caller.has(Role.supervisor) and caller.scope().allows_department(offer.department):
        return
    raise NotAllowed("only the offered agent or a supervisor of its department may answer it")


async def visible(offer_id: str, caller: Principal, stores: Stores) -> Offer:
    offer = await stores.offers.get(offer_id) if stores.offers else None
    if offer is None or not may_see(caller, offer):
        raise OfferNotFound(offer_id)
    return offer


def _ended_already(offer: Offer) -> OfferEnded:
    assert offer.outcome is not None and offer.ended_at is not None
    return OfferEnded(
        f"offer {offer.offer_id} was {offer.outcome.value} at {offer.ended_at.isoformat()}"
    )


async def _answerable(offer_id: str, caller: Principal, stores: Stores) -> Offer:
    offer = await visible(offer_id, caller, stores)
    _check_may_answer(caller, offer)
    if offer.outcome is not None:
        raise _ended_already(offer)
    return offer


async def _lost(offer: Offer, stores: Stores) -> OfferEnded:
    assert stores.offers is not None
    ended = await stores.offers.ended(offer.offer_id)
    return _ended_already(ended) if ended else OfferEnded(f"offer {offer.offer_id} ended")


async def accept(offer_id: str, caller: Principal, stores: Stores) -> Offer:
    """The agent takes the offered ticket: ticket.assigned.v1, then the offer's end."""
    offer = await _answerable(offer_id, caller, stores)
    try:
        offer.accept(stores.now())
    except OfferClosed as closed:
        await expire(replace(offer, events=[]), stores)
        raise OfferEnded(str(closed)) from None
    if not await _settle(offer, stores, publish=False):
        raise await _lost(offer, stores)
    await assigning.confirm(offer.ticket_id, stores)
    assert stores.offers is not None
    await stores.offers.publish_ended(offer.offer_id)
    return offer


async def decline(offer_id: str, caller: Principal, stores: Stores, reason: str | None) -> Offer:
    """The agent turns the ticket down: it goes to the next candidate, not back to them."""
    offer = await _answerable(offer_id, caller, stores)
    try:
        offer.decline(stores.now(), reason)
    except OfferClosed as closed:
        await expire(replace(offer, events=[]), stores)
        raise OfferEnded(str(closed)) from None
    if not await _settle(offer, stores):
        raise await _lost(offer, stores)
    await move_on(offer, stores)
    return offer


async def expire(offer: Offer, stores: Stores) -> bool:
    """End a pending offer that ran out; True if this call did it."""
    try:
        offer.expire(stores.now())
    except OfferClosed:
        return False  # not due yet (a timer that fired early) or ended already
    if not await _settle(offer, stores):
        return False
    await move_on(offer, stores)
    return True


async def withdraw(offer: Offer, stores: Stores) -> bool:
    """End an offer whose ticket was settled or moved; the caller frees the claim."""
    offer.withdraw(stores.now(), WITHDRAWN)
    return await _settle(offer, stores)


async def move_on(offer: Offer, stores: Stores) -> None:
    """After a decline or expiry: keep the agent off the ticket for the cooldown, set one who
    missed it away, free the claim and route the ticket on. Safe to repeat."""
    assert stores.offers is not None and offer.outcome is not None
    settings = await settings_for(offer.department, stores)
    now = stores.now()
    if keeps_away(offer.outcome) and settings.decline_cooldown_seconds:
        cooldown = Cooldown(offer.agent_id, now + settings.cooldown)
        await stores.offers.cool_down(offer.ticket_id, cooldown, now)
    await assigning.release(offer.ticket_id, stores, offer_settled=True)
    if offer.outcome is OfferOutcome.expired and (presence := settings.missed_presence()):
        await _set_presence(offer.agent_id, presence, settings.missed_offer_reason, stores)
    ticket = await stores.tickets.get(offer.ticket_id)
    if ticket is not None:
        await assigning.route(ticket, stores)
    await assigning.drain(offer.agent_id, stores)


async def _set_presence(agent_id: str, presence: Presence, reason: str, stores: Stores) -> None:
    """An agent who missed an offer: `presence`, saying why (stored, and in agent.updated.v1)."""
    for _ in range(MAX_EDIT_ATTEMPTS):
        found = await stores.agents.get(agent_id)
        if found is None or found.presence is not Presence.available:
            return
        [agent] = await assigning.with_loads([found], stores)
        version, now = agent.version, stores.now()
        agent.revise({"presence": presence, "presence_reason": reason}, now)
        events = assigning.recorded(agent.pull_events(), agent_version=agent.version)
        if await stores.agents.save(agent, version, events, now):
            return
    log.warning("could not set agent %s %s after a missed offer", agent_id, presence.value)


async def finish_settled(offer: Offer, stores: Stores) -> None:
    """Complete what a settler that crashed left: announce an accepted offer's claim, or free
    and route on a declined, expired or withdrawn one."""
    assert stores.offers is not None
    ended = await stores.offers.ended(offer.offer_id)
    if ended is None:
        return
    if ended.outcome is OfferOutcome.accepted:
        await assigning.confirm(offer.ticket_id, stores)
    else:
        await move_on(ended, stores)
    await stores.offers.publish_ended(offer.offer_id)


async def watch(stores: Stores) -> int:
    """One poll: expire the pending offers that ran out, finish those a crash left settled,
    and arm this process's timers for the rest; how many ended here."""
    if stores.offers is None:
        return 0
    ended = 0
    for offer in await stores.offers.pending():
        now = stores.now()
        if not offer.is_due(now):
            if stores.offer_timers is not None:
                stores.offer_timers.arm(offer)
            continue
        if await expire(replace(offer, events=[]), stores):
            ended += 1
            continue
        settled = await stores.offers.ended(offer.offer_id)
        if settled and settled.ended_at and now - settled.ended_at > RECOVER_AFTER:
            await finish_settled(offer, stores)
    return ended


async def expire_by_id(offer_id: str, stores: Stores) -> bool:
    """A timer's job: expire the offer if it still waits."""
    offer = await stores.offers.get(offer_id) if stores.offers else None
    if offer is None or offer.outcome is not None:
        return False
    return await expire(offer, stores)
