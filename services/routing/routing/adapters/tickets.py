"""Routing's record of each ticket it has seen."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.domain import (
    RoutingTicket,
    SkillRequirement,
    TicketRecord,
)
from ticketflow_shared.events import Position, Priority
from ticketflow_shared.serialized import lone_on_ferretdb

DUE_RANK = "due_rank"  # the SLA due time, MOVED_UP when moved to the front, else NO_DUE
APPLIED = "applied"  # producer -> highest sequence of its events applied to the ticket


def ticket_fields(ticket: RoutingTicket) -> dict[str, Any]:
    return {
        "_id": ticket.ticket_id,
        "category": ticket.category,
        "priority": ticket.priority.value,
        "priority_rank": ticket.priority.rank,
        "created_at": ticket.created_at,
        "required_skill": ticket.requirement.skill,
        "min_level": ticket.requirement.min_level,
        "department": ticket.department,
        "created_by": ticket.created_by,
        "department_only": ticket.department_only,
        "released_by": ticket.released_by,
        "language": ticket.language,
    }


def ticket_of(doc: dict[str, Any]) -> RoutingTicket:
    return RoutingTicket(
        ticket_id=doc["_id"],
        category=doc["category"],
        priority=Priority(doc["priority"]),
        created_at=doc["created_at"],
        requirement=SkillRequirement(doc["required_skill"], doc["min_level"]),
        department=doc.get("department"),
        created_by=doc.get("created_by"),
        department_only=bool(doc.get("department_only")),
        released_by=doc.get("released_by"),
        language=doc.get("language"),
        due_rank=doc.get(DUE_RANK),
    )


def _applying(position: Position | None) -> dict[str, Any]:
    """An update operator recording `position` as applied, never lowering what is there."""
    if position is None or position.sequence is None:
        return {}
    return {"$max": {f"{APPLIED}.{position.producer}": position.sequence}}


class MongoTickets:
    """Routing's record of each ticket. On a lone FerretDB process (`lone_on_ferretdb`) the
    tickets this process has yet to finish routing are also kept in memory: `unrouted` then
    reads the whole collection until it has all an earlier process left (one read, unless
    that was more than `limit`), and after that only those tickets by `_id`, so the stale
    pass costs the same however many tickets there are."""

    def __init__(self, collection: AsyncCollection, unwritten: Sequence[KnownAbsent] = ()) -> None:
        self.collection = collection
        self._unrouted: dict[str, datetime] = {}  # ticket id -> when routing received it
        self._read_all_once = False
        # Told of each ticket recorded here: only a ticket with a record is ever resolved or
        # queued, so a new record has neither.
        self._unwritten = unwritten

    async def add(
        self, ticket: RoutingTicket, now: datetime, position: Position | None = None
    ) -> bool:
        doc = {**ticket_fields(ticket), "received_at": now, "routed": False}
        if position is not None and position.sequence is not None:
            doc[APPLIED] = {position.producer: position.sequence}
        self._unrouted[ticket.ticket_id] = now  # before the insert: a cut leaves the note
        marks = [(known, known.mark(ticket.ticket_id)) for known in self._unwritten]
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        for known, since in marks:
            known.note(ticket.ticket_id, since)
        return True

    async def get(self, ticket_id: str) -> RoutingTicket | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        return ticket_of(doc) if doc else None

    async def record(self, ticket_id: str, producer: str) -> TicketRecord | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        if doc is None:
            return None
        applied = (doc.get(APPLIED) or {}).get(producer)
        return TicketRecord(ticket_of(doc), bool(doc.get("routed")), applied)

    async def is_routed(self, ticket_id: str) -> bool:
        doc = await self.collection.find_one({"_id": ticket_id}, {"routed": 1})
        return bool(doc and doc.get("routed"))

    async def mark_routed(self, ticket_id: str, position: Position | None = None) -> None:
        update = {"$set": {"routed": True}, **_applying(position)}
        await self.collection.update_one({"_id": ticket_id}, update)
        self._unrouted.pop(ticket_id, None)

    async def advance(self, ticket_id: str, position: Position | None) -> None:
        if update := _applying(position):
            await self.collection.update_one({"_id": ticket_id}, update)

    async def revise(self, ticket: RoutingTicket) -> None:
        self._unrouted[ticket.ticket_id] = datetime.min.replace(tzinfo=UTC)  # received long ago
        fields = {k: v for k, v in ticket_fields(ticket).items() if k != "_id"}
        await self.collection.update_one(
            {"_id": ticket.ticket_id}, {"$set": {**fields, "routed": False}}
        )

    async def reprioritize(
        self, ticket_id: str, priority: Priority, position: Position | None
    ) -> None:
        fields = {"priority": priority.value, "priority_rank": priority.rank}
        update = {"$set": fields, **_applying(position)}
        await self.collection.update_one({"_id": ticket_id}, update)

    async def unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]:
        if lone_on_ferretdb(self.collection) and self._read_all_once:
            return await self._noted_unrouted(received_before, limit)
        query = {"routed": False, "received_at": {"$lt": received_before}}
        cursor = self.collection.find(query).sort("received_at", 1).limit(limit)
        found = [ticket_of(doc) async for doc in cursor]
        # Once a read comes back short, everything left before this process started is in hand.
        self._read_all_once = len(found) < limit
        return found

    async def _noted_unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]:
        due = sorted((at, ticket_id) for ticket_id, at in self._unrouted.items())
        ids = [ticket_id for at, ticket_id in due if at < received_before][:limit]
        docs = await asyncio.gather(*(self.collection.find_one({"_id": i}) for i in ids))
        stale = []
        for ticket_id, doc in zip(ids, docs, strict=True):
            if doc is None or doc.get("routed"):
                self._unrouted.pop(ticket_id, None)  # never inserted, or routed elsewhere
            else:
                stale.append(ticket_of(doc))
        return stale

    async def next_version(self, ticket_id: str) -> int | None:
        # No projection: FerretDB 1.24 does not implement one on findAndModify.
        doc = await self.collection.find_one_and_update(
            {"_id": ticket_id}, {"$inc": {"version": 1}}, return_document=ReturnDocument.AFTER
        )
        return doc["version"] if doc else None
