"""Who holds which ticket: one document per held ticket, guarded by two unique keys.

A claim's events wait in its outbox without `outbox_since`, so the relay's sweep cannot see
them; `announce` sets it and publishes. Claims a crash left unannounced are found by their
`announced: False` flag (see `unannounced`). Announcing and releasing each change a claim only
if it is still unannounced, so when they race exactly one wins: the claim is announced and then
released with its agent.updated, or deleted unannounced and never heard of.
"""

from datetime import datetime
from typing import Any
from uuid import uuid4

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.outboxes import publish_then_delete
from routing.domain import Assignment
from routing.ports import ClaimResult, ReleaseEvents
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, utcnow

ANNOUNCED = "announced"
RELEASING = "releasing"  # set with the release's own events, so a repeat records none again


def _assignment(doc: dict[str, Any]) -> Assignment:
    return Assignment(
        ticket_id=doc["ticket_id"],
        agent_id=doc["agent_id"],
        slot=doc["slot"],
        skill=doc["skill"],
        skill_level=doc["skill_level"],
        assigned_at=doc["assigned_at"],
    )


class MongoAssignments:
    def __init__(self, collection: AsyncCollection, publish: outbox.OutboxFlush) -> None:
        self.collection = collection
        self.publish = publish

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

    async def claim(self, assignment: Assignment, events: list[Envelope]) -> ClaimResult:
        # A fresh _id per claim: a freed slot's document is never rewritten in place, so a
        # late outbox flush of the old holder cannot touch the new one.
        doc = {
            "_id": uuid4().hex,
            "ticket_id": assignment.ticket_id,
            "agent_id": assignment.agent_id,
            "slot": assignment.slot,
            "skill": assignment.skill,
            "skill_level": assignment.skill_level,
            "assigned_at": assignment.assigned_at,
            ANNOUNCED: False,
            # No outbox_since: the relay's sweep must not publish these before `announce`.
            outbox.OUTBOX: [outbox.outbox_entry(envelope) for envelope in events],
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            # Which key refused it? FerretDB does not say, so ask.
            if await self.of_ticket(assignment.ticket_id) is not None:
                return ClaimResult.ticket_taken
            return ClaimResult.slot_taken
        return ClaimResult.claimed

    async def announce(self, ticket_id: str) -> None:
        doc = await self.collection.find_one(
            {"ticket_id": ticket_id}, {outbox.OUTBOX: 1, ANNOUNCED: 1}
        )
        if doc is None:
            return
        if doc.get(ANNOUNCED) is False:
            # From here on a crash before the publish below leaves the events to the sweep.
            # Only a claim still unannounced is announced: one a release deleted meanwhile
            # must stay silent.
            result = await self.collection.update_one(
                {"_id": doc["_id"], ANNOUNCED: False},
                {"$set": {ANNOUNCED: True}, "$min": {outbox.OUTBOX_SINCE: utcnow()}},
            )
            if result.matched_count == 0:
                # Gone, or announced by someone else (republishing repeats only event ids).
                doc = await self.collection.find_one({"_id": doc["_id"]}, {outbox.OUTBOX: 1})
                if doc is None:
                    return
        if doc.get(outbox.OUTBOX):
            await self.publish(self.collection, doc["_id"], doc[outbox.OUTBOX])

    async def unannounced(self, claimed_before: datetime, limit: int) -> list[str]:
        query = {ANNOUNCED: False, "assigned_at": {"$lt": claimed_before}}
        cursor = self.collection.find(query, {"ticket_id": 1}).limit(limit)
        return [doc["ticket_id"] async for doc in cursor]

    async def of_ticket(self, ticket_id: str) -> Assignment | None:
        doc = await self.collection.find_one({"ticket_id": ticket_id}, {outbox.OUTBOX: 0})
        return _assignment(doc) if doc else None

    async def held_tickets(self) -> list[str]:
        # Claims number at most the agents' total capacity, so reading them all is cheap.
        return [doc["ticket_id"] async for doc in self.collection.find({}, {"ticket_id": 1})]

    async def release(self, ticket_id: str, events_for: ReleaseEvents) -> Assignment | None:
        doc = await self.collection.find_one({"ticket_id": ticket_id})
        if doc is None:
            return None
        assignment = _assignment(doc)
        if doc.get(ANNOUNCED) is False:
            # Never announced: its events never go out. Deleting only a claim still unannounced
            # means one that an `announce` got to first is released below, with its events.
            deleted = await self.collection.delete_one({"_id": doc["_id"], ANNOUNCED: False})
            if deleted.deleted_count == 1:
                return assignment
        if not doc.get(RELEASING):
            # The freed slot's events go out from the claim itself, so whoever frees it
            # publishes them, once; a crash after this leaves them to the outbox sweep.
            operators, _ = outbox.push_outbox(await events_for(assignment))
            update = outbox.merge_updates({"$set": {RELEASING: True}}, operators)
            await self.collection.update_one({"_id": doc["_id"], RELEASING: {"$ne": True}}, update)
        doc = await self.collection.find_one({"_id": doc["_id"]})
        if doc is None:
            return None
        released = await publish_then_delete(self.collection, doc, self.publish)
        return assignment if released else None
