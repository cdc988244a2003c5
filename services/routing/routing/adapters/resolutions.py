"""Tickets routing released (solved, closed, or a department's releasing status).

A process alone on FerretDB (`lone_on_ferretdb`) is the only writer of this collection, and a
resolution is only ever recorded for a ticket routing has a record of. So once this process
has inserted a ticket's record, found no resolution of it, or removed it, it knows the
ticket has none until it records one itself, and `get` answers that without a round trip
(`KnownAbsent`). Anywhere else every `get` reads.
"""

import asyncio
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.domain import Resolution
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, TicketStatus
from ticketflow_shared.serialized import lone_on_ferretdb

LOOKUPS_AT_ONCE = 50


class MongoResolutions:
    def __init__(
        self,
        collection: AsyncCollection,
        publish: outbox.OutboxFlush,
        unresolved: KnownAbsent | None = None,
    ) -> None:
        self.collection = collection
        self.publish = publish
        self.unresolved = unresolved or KnownAbsent()

    async def resolved_among(self, ticket_ids: list[str]) -> set[str]:
        # One `_id` lookup each, LOOKUPS_AT_ONCE together: FerretDB reads the whole collection
        # for an `_id` `$in`, and held tickets number at most the agents' capacity.
        found: set[str] = set()
        for start in range(0, len(ticket_ids), LOOKUPS_AT_ONCE):
            chunk = ticket_ids[start : start + LOOKUPS_AT_ONCE]
            docs = await asyncio.gather(
                *(self.collection.find_one({"_id": ticket_id}, {"_id": 1}) for ticket_id in chunk)
            )
            found.update(doc["_id"] for doc in docs if doc is not None)
        return found

    async def record(self, resolution: Resolution, events: list[Envelope], now: datetime) -> bool:
        fields, entries = outbox.outbox_fields(events, now)
        doc = {
            "_id": resolution.ticket_id,
            "agent_id": resolution.agent_id,
            "resolved_at": resolution.resolved_at,
            "status": resolution.status.value,
        }
        try:
            # The ticket id as _id: a ticket is resolved, and its events recorded, only once.
            with self.unresolved.writing(resolution.ticket_id):
                await self.collection.insert_one({**doc, **fields})
        except DuplicateKeyError:
            return False
        if entries:
            await self.publish(self.collection, resolution.ticket_id, entries)
        return True

    async def restate(self, ticket_id: str, status: TicketStatus) -> None:
        await self.collection.update_one(
            {"_id": ticket_id, "status": {"$ne": status.value}}, {"$set": {"status": status.value}}
        )

    async def remove(self, ticket_id: str) -> bool:
        # Resolutions are recorded without events, so there is nothing to publish first.
        with self.unresolved.writing(ticket_id):
            removed = await self.collection.delete_one({"_id": ticket_id})
        self.unresolved.note(ticket_id, self.unresolved.mark(ticket_id))
        return removed.deleted_count == 1

    async def get(self, ticket_id: str) -> Resolution | None:
        known = lone_on_ferretdb(self.collection)
        if known and ticket_id in self.unresolved:
            return None
        since = self.unresolved.mark(ticket_id)
        doc = await self.collection.find_one({"_id": ticket_id}, {outbox.OUTBOX: 0})
        if doc is None:
            if known:
                self.unresolved.note(ticket_id, since)
            return None
        status = TicketStatus(doc.get("status") or TicketStatus.solved)
        return Resolution(doc["_id"], doc.get("agent_id"), doc["resolved_at"], status)
