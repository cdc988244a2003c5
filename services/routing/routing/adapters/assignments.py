"""Who holds which ticket: one document per held ticket, guarded by two unique keys.

A claim is keyed by its ticket (`_id` = ticket id), so every look at a ticket's claim is an
`_id` lookup, and the `_id` is the one-holder-per-ticket key; a unique index on (agent, slot)
is the other. Each claim also carries a fresh `claim` token: a ticket can be claimed again
after its claim was freed (a claimer that looked before a resolve landed), and everything
that acts on one claim rather than on "the ticket's claim" (announcing it, releasing it,
deleting it) matches its token, so nothing left over from an older claim acts on a newer one.

A claim's events wait in `held_events`, outside its outbox, until `announce` moves them
into the outbox and publishes them. The outbox relay only ever reads the outbox, so even a
late retry of an older claim's failed publish, which looks the ticket's `_id` up again, can
find nothing unannounced to publish. Claims a crash left unannounced are found by their
`announced: False` flag (see `unannounced`). Announcing and releasing each change a claim
only if it is still unannounced, so when they race exactly one wins: the claim is announced
and then released with its agent.updated, or deleted unannounced and never heard of.
"""

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.outboxes import publish_then_delete
from routing.domain import Assignment
from routing.domain.offers import Offer
from routing.ports import ClaimResult, ReleaseEvents
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope
from ticketflow_shared.vouching import vouched_for

ANNOUNCED = "announced"
CLAIM = "claim"  # a fresh token per claim of the ticket
HELD_EVENTS = "held_events"  # the claim's events until it is announced
RELEASING = "releasing"  # set with the release's own events, so a repeat records none again
OFFER = "offer"  # on a claim that is an offer waiting for its agent's answer


def _assignment(doc: dict[str, Any]) -> Assignment:
    return Assignment(
        ticket_id=doc["ticket_id"],
        agent_id=doc["agent_id"],
        slot=doc["slot"],
        skill=doc["skill"],
        skill_level=doc["skill_level"],
        assigned_at=doc["assigned_at"],
    )


def _offer_fields(offer: Offer | None, offered: list[Envelope], now: datetime) -> dict[str, Any]:
    """An offer's fields on its claim, its ticket.offered.v1 in the claim's outbox."""
    if offer is None:
        return {}
    fields, _ = outbox.outbox_fields(offered, now)
    about = {
        "id": offer.offer_id,
        "department": offer.department,
        "offered_at": offer.offered_at,
        "expires_at": offer.expires_at,
    }
    return {OFFER: about, **fields}


def _claim_document(assignment: Assignment, events: list[Envelope]) -> dict[str, Any]:
    return {
        "_id": assignment.ticket_id,
        "ticket_id": assignment.ticket_id,
        CLAIM: uuid4().hex,
        "agent_id": assignment.agent_id,
        "slot": assignment.slot,
        "skill": assignment.skill,
        "skill_level": assignment.skill_level,
        "assigned_at": assignment.assigned_at,
        ANNOUNCED: False,
        HELD_EVENTS: [outbox.outbox_entry(envelope) for envelope in events],
    }


def _this_claim(doc: dict[str, Any]) -> dict[str, Any]:
    """A filter matching this very claim, not a later claim of the same ticket."""
    return {"_id": doc["_id"], CLAIM: doc[CLAIM]}


def _announcing(held: list[dict], now: datetime) -> dict[str, Any]:
    update: dict[str, Any] = {"$set": {ANNOUNCED: True}, "$unset": {HELD_EVENTS: ""}}
    if held:
        # From here on a crash before the publish leaves the events to the relay's sweep.
        update["$push"] = {outbox.OUTBOX: {"$each": held}}
        update["$min"] = {outbox.OUTBOX_SINCE: now}
    return update


class FreshClaims:
    """Claims this process made and has not announced yet, by ticket: their token and held
    events, so announcing one needs no read back. Bounded; a claim forgotten is read.

    Every announce and release takes the ticket's claim out first, and counts itself as
    begun (`begin`): an announce that took a fresh claim and finds, at its write's turn,
    that no other has begun since knows the claim is still as it was inserted.
    """

    LIMIT = 1024

    def __init__(self) -> None:
        self._claims: OrderedDict[str, tuple[str, list[dict]]] = OrderedDict()
        self._begun: OrderedDict[str, int] = OrderedDict()

    def begin(self, ticket_id: str) -> Callable[[], bool]:
        """Count an announce or release of the ticket's claim; whether it is still the last
        one begun, asked later."""
        count = self._begun[ticket_id] = self._begun.get(ticket_id, 0) + 1
        self._begun.move_to_end(ticket_id)
        while len(self._begun) > self.LIMIT:
            self._begun.popitem(last=False)
        return lambda: self._begun.get(ticket_id) == count

    def note(self, doc: dict[str, Any]) -> None:
        self._claims[doc["_id"]] = (doc[CLAIM], doc[HELD_EVENTS])
        while len(self._claims) > self.LIMIT:
            self._claims.popitem(last=False)

    def take(self, ticket_id: str) -> tuple[str, list[dict]] | None:
        return self._claims.pop(ticket_id, None)


class MongoAssignments:
    def __init__(self, collection: AsyncCollection, publish: outbox.OutboxFlush) -> None:
        self.collection = collection
        self.publish = publish
        self.fresh = FreshClaims()

    async def held_by(self, agent_ids: list[str]) -> dict[str, dict[int, str]]:
        held: dict[str, dict[int, str]] = {agent_id: {} for agent_id in agent_ids}
        if not agent_ids:
            return held
        cursor = self.collection.find(
            {"agent_id": {"$in": agent_ids}}, {"agent_id": 1, "slot": 1, "ticket_id": 1}
        )
        async for doc in cursor:
            held[doc["agent_id"]][doc["slot"]] = doc["ticket_id"]
        return held

    async def claim(
        self,
        assignment: Assignment,
        events: list[Envelope],
        offer: Offer | None = None,
        offered: list[Envelope] | None = None,
    ) -> ClaimResult:
        doc = _claim_document(assignment, events)
        doc.update(_offer_fields(offer, offered or [], assignment.assigned_at))
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            # Which key refused it? FerretDB does not say, so ask.
            if await self.collection.find_one({"_id": assignment.ticket_id}, {"_id": 1}):
                return ClaimResult.ticket_taken
            return ClaimResult.slot_taken
        if offer is None:
            self.fresh.note(doc)
        return ClaimResult.claimed

    async def announce(self, ticket_id: str, now: datetime) -> None:
        fresh = self.fresh.take(ticket_id)
        last_begun = self.fresh.begin(ticket_id)
        if fresh is not None:
            # Our own claim, as inserted: while unannounced nothing adds to its outbox, so if
            # it is still this claim and unannounced, its held events are all it has to send.
            token, held = fresh
            this_claim = {"_id": ticket_id, CLAIM: token, ANNOUNCED: False}
            # Alone on FerretDB no write of it but this one's began since the insert if none
            # did here: the layer may send the update by `_id` unread.
            with vouched_for(last_begun):
                result = await self.collection.update_one(this_claim, _announcing(held, now))
            if result.matched_count:
                if held:
                    await self.publish(self.collection, ticket_id, held)
                return
        doc = await self.collection.find_one(
            {"_id": ticket_id}, {CLAIM: 1, ANNOUNCED: 1, HELD_EVENTS: 1, outbox.OUTBOX: 1}
        )
        if doc is None:
            return
        this_claim, pending = _this_claim(doc), doc.get(outbox.OUTBOX) or []
        if doc.get(ANNOUNCED) is False:
            # Only a claim still unannounced is announced: one a release deleted meanwhile
            # must stay silent.
            held = doc.get(HELD_EVENTS) or []
            result = await self.collection.update_one(
                {**this_claim, ANNOUNCED: False}, _announcing(held, now)
            )
            if result.matched_count == 1:
                pending = [*pending, *held]
            else:
                # Gone, or announced by someone else (republishing repeats only event ids).
                doc = await self.collection.find_one(this_claim, {outbox.OUTBOX: 1})
                if doc is None:
                    return
                pending = doc.get(outbox.OUTBOX) or []
        if pending:
            await self.publish(self.collection, ticket_id, pending)

    async def unannounced(self, claimed_before: datetime, limit: int) -> list[str]:
        query = {ANNOUNCED: False, "assigned_at": {"$lt": claimed_before}}
        cursor = self.collection.find(query, {"ticket_id": 1}).limit(limit)
        return [doc["ticket_id"] async for doc in cursor]

    async def of_ticket(self, ticket_id: str) -> Assignment | None:
        doc = await self.collection.find_one({"_id": ticket_id}, {outbox.OUTBOX: 0, HELD_EVENTS: 0})
        return _assignment(doc) if doc else None

    async def held_tickets(self) -> list[str]:
        # Claims number at most the agents' total capacity, so reading them all is cheap.
        return [doc["ticket_id"] async for doc in self.collection.find({}, {"ticket_id": 1})]

    async def release(
        self, ticket_id: str, events_for: ReleaseEvents, now: datetime
    ) -> Assignment | None:
        self.fresh.take(ticket_id)
        self.fresh.begin(ticket_id)
        doc = await self.collection.find_one({"_id": ticket_id})
        if doc is None:
            return None
        this_claim, assignment = _this_claim(doc), _assignment(doc)
        if doc.get(ANNOUNCED) is False:
            if doc.get(outbox.OUTBOX):  # an offer's ticket.offered.v1 whose publish failed
                await self.publish(self.collection, ticket_id, doc[outbox.OUTBOX])
            # Never announced: its held events never go out. Deleting only a claim still unannounced
            # means one that an `announce` got to first is released below, with its events.
            deleted = await self.collection.delete_one({**this_claim, ANNOUNCED: False})
            if deleted.deleted_count == 1:
                return assignment
        marked = False
        if not doc.get(RELEASING):
            # The freed slot's events go out from the claim itself, so whoever frees it
            # publishes them, once; a crash after this leaves them to the outbox sweep.
            operators, entries = outbox.push_outbox(await events_for(assignment), now)
            update = outbox.merge_updates({"$set": {RELEASING: True}}, operators)
            result = await self.collection.update_one(
                {**this_claim, RELEASING: {"$ne": True}}, update
            )
            if marked := result.matched_count == 1:
                # Ours: its outbox is what was read plus what this added, unless a write
                # between read and update changed it; then publishing what was not there
                # repeats an event id, and what was added meanwhile is still found left
                # below, so the release stops before the delete and is retried.
                pending = [*(doc.get(outbox.OUTBOX) or []), *entries]
                doc = {**doc, RELEASING: True, outbox.OUTBOX: pending}
        if not marked:
            doc = await self.collection.find_one(this_claim)
            if doc is None:
                return None
        released = await publish_then_delete(
            self.collection, doc, self.publish, same={CLAIM: doc[CLAIM]}
        )
        return assignment if released else None
