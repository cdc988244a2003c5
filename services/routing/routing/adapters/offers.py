"""Offers in Mongo: a pending offer lives on its claim (the reservation), its end in
`offer_outcomes` and agents' cooldowns per ticket in `offer_cooldowns`.

Settling is one insert under the offer's id (`_id` of `offer_outcomes`): across processes
only such an insert is atomic on FerretDB, so whichever of accept, decline, expiry or
withdrawal inserts first decides, and only it acts. Its ticket.offer_ended.v1 waits in that
document's outbox. Pending offers are read by scanning the claims, which number at most the
agents' total capacity.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.adapters.assignments import ANNOUNCED, OFFER
from routing.domain.offers import Cooldown, Offer, recent, with_cooldown
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, OfferOutcome
from ticketflow_shared.serialized import lone_on_ferretdb

COOLDOWNS = "cooldowns"


def _pending(doc: dict[str, Any]) -> Offer:
    offer = doc[OFFER]
    return Offer(
        offer_id=offer["id"],
        ticket_id=doc["ticket_id"],
        agent_id=doc["agent_id"],
        department=offer.get("department"),
        offered_at=offer["offered_at"],
        expires_at=offer["expires_at"],
    )


def _ended(doc: dict[str, Any]) -> Offer:
    return Offer(
        offer_id=doc["_id"],
        ticket_id=doc["ticket_id"],
        agent_id=doc["agent_id"],
        department=doc.get("department"),
        offered_at=doc["offered_at"],
        expires_at=doc["expires_at"],
        outcome=OfferOutcome(doc["outcome"]),
        ended_at=doc["ended_at"],
        reason=doc.get("reason"),
    )


class MongoOffers:
    def __init__(
        self,
        claims: AsyncCollection,
        outcomes: AsyncCollection,
        cooldowns: AsyncCollection,
        publish: outbox.OutboxFlush,
        uncooled: KnownAbsent | None = None,
    ) -> None:
        self.claims = claims
        self.outcomes = outcomes
        self.cooldowns = cooldowns
        self.publish = publish
        # Tickets without cooldowns (never declined or let run out), as a process alone on
        # FerretDB knows them: a new ticket's, and those it found without, until it writes.
        self.uncooled = uncooled or KnownAbsent()

    async def pending(self, agent_id: str | None = None) -> list[Offer]:
        query: dict[str, Any] = {OFFER: {"$exists": True}, ANNOUNCED: False}
        if agent_id is not None:
            query["agent_id"] = agent_id
        projection = {"ticket_id": 1, "agent_id": 1, OFFER: 1}
        offers = [_pending(doc) async for doc in self.claims.find(query, projection)]
        return sorted(offers, key=lambda offer: (offer.expires_at, offer.offer_id))

    async def of_ticket(self, ticket_id: str) -> Offer | None:
        doc = await self.claims.find_one(
            {"_id": ticket_id}, {"ticket_id": 1, "agent_id": 1, ANNOUNCED: 1, OFFER: 1}
        )
        if doc is None or OFFER not in doc or doc.get(ANNOUNCED) is not False:
            return None
        return _pending(doc)

    async def publish_offered(self, ticket_id: str) -> None:
        doc = await self.claims.find_one({"_id": ticket_id}, {outbox.OUTBOX: 1})
        if doc and doc.get(outbox.OUTBOX):
            await self.publish(self.claims, ticket_id, doc[outbox.OUTBOX])

    async def ended(self, offer_id: str) -> Offer | None:
        doc = await self.outcomes.find_one({"_id": offer_id}, {outbox.OUTBOX: 0})
        return _ended(doc) if doc else None

    async def get(self, offer_id: str) -> Offer | None:
        if ended := await self.ended(offer_id):
            return ended
        doc = await self.claims.find_one(
            {f"{OFFER}.id": offer_id, ANNOUNCED: False}, {"ticket_id": 1, "agent_id": 1, OFFER: 1}
        )
        return _pending(doc) if doc else None

    async def settle(self, offer: Offer, events: list[Envelope], now: datetime) -> bool:
        """Record how `offer` ended, its events held in the outbox; False if it had ended."""
        assert offer.outcome is not None and offer.ended_at is not None
        fields, _ = outbox.outbox_fields(events, now)
        doc = {
            "_id": offer.offer_id,
            "ticket_id": offer.ticket_id,
            "agent_id": offer.agent_id,
            "department": offer.department,
            "offered_at": offer.offered_at,
            "expires_at": offer.expires_at,
            "outcome": offer.outcome.value,
            "reason": offer.reason,
            "ended_at": offer.ended_at,
            **fields,
        }
        try:
            await self.outcomes.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def publish_ended(self, offer_id: str) -> None:
        doc = await self.outcomes.find_one({"_id": offer_id}, {outbox.OUTBOX: 1})
        if doc and doc.get(outbox.OUTBOX):
            await self.publish(self.outcomes, offer_id, doc[outbox.OUTBOX])

    async def declined_recently(self, ticket_id: str, now: datetime) -> set[str]:
        lone = lone_on_ferretdb(self.cooldowns)
        if lone and ticket_id in self.uncooled:
            return set()
        since = self.uncooled.mark(ticket_id)
        doc = await self.cooldowns.find_one({"_id": ticket_id})
        if doc is None and lone:
            self.uncooled.note(ticket_id, since)
        return recent(_cooldowns(doc), now)

    async def cool_down(self, ticket_id: str, cooldown: Cooldown, now: datetime) -> None:
        # One ticket is offered to one agent at a time, so two writers of one ticket's
        # cooldowns at once are rare; the list is set whole (what FerretDB writes reliably).
        doc = await self.cooldowns.find_one({"_id": ticket_id})
        kept = with_cooldown(_cooldowns(doc), cooldown, now)
        rows = [{"agent_id": c.agent_id, "until": c.until} for c in kept]
        with self.uncooled.writing(ticket_id):
            try:
                await self.cooldowns.update_one(
                    {"_id": ticket_id}, {"$set": {COOLDOWNS: rows, "updated_at": now}}, upsert=True
                )
            except DuplicateKeyError:  # two first writes raced to insert
                await self.cooldowns.update_one({"_id": ticket_id}, {"$set": {COOLDOWNS: rows}})


def _cooldowns(doc: dict[str, Any] | None) -> list[Cooldown]:
    rows = (doc or {}).get(COOLDOWNS) or []
    return [Cooldown(row["agent_id"], row["until"]) for row in rows]
