"""Who holds which ticket: one document per held ticket, guarded by two unique keys."""

from typing import Any
from uuid import uuid4

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.outboxes import Publish, outbox_fields, publish_then_delete
from routing.domain import Assignment
from routing.ports import ClaimResult
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope


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
    def __init__(self, collection: AsyncCollection, publish: Publish) -> None:
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
        fields, _ = outbox_fields(events)
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
        }
        try:
            await self.collection.insert_one({**doc, **fields})
        except DuplicateKeyError:
            # Which key refused it? FerretDB does not say, so ask.
            if await self.of_ticket(assignment.ticket_id) is not None:
                return ClaimResult.ticket_taken
            return ClaimResult.slot_taken
        return ClaimResult.claimed

    async def announce(self, ticket_id: str) -> None:
        doc = await self.collection.find_one({"ticket_id": ticket_id}, {outbox.OUTBOX: 1})
        if doc and doc.get(outbox.OUTBOX):
            await self.publish(self.collection, doc["_id"], doc[outbox.OUTBOX])

    async def withdraw(self, ticket_id: str) -> None:
        await self.collection.delete_one({"ticket_id": ticket_id})

    async def of_ticket(self, ticket_id: str) -> Assignment | None:
        doc = await self.collection.find_one({"ticket_id": ticket_id}, {outbox.OUTBOX: 0})
        return _assignment(doc) if doc else None

    async def release(self, ticket_id: str) -> Assignment | None:
        doc = await self.collection.find_one({"ticket_id": ticket_id})
        if doc is None or not await publish_then_delete(self.collection, doc, self.publish):
            return None
        return _assignment(doc)
