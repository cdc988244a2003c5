"""The `tickets` read model in MongoDB: one document per ticket, one update per event."""

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reporting.domain.tickets import TicketChange, TicketRow

TICKETS = "tickets"
INDEXES = {TICKETS: [IndexModel([("created_at", 1)], name="created_at")]}
# A clash can only come from another replica creating the same row at the same instant,
# so the second attempt always finds the row; the third is plain caution.
UPSERT_ATTEMPTS = 3


class MongoTicketRows:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[TICKETS]

    async def apply(self, change: TicketChange) -> bool:
        """One guarded upsert: the filter misses a row that already holds this event id."""
        guard = {"_id": change.ticket_id, "applied_events": {"$ne": change.event_id}}
        update = _update(change)
        for _ in range(UPSERT_ATTEMPTS):
            try:
                await self.collection.update_one(guard, update, upsert=True)
                return True
            except DuplicateKeyError:
                # The row exists and the guard missed it: applied already, or created just now
                # by another replica's event for this ticket, in which case the next try matches.
                if await self._holds(change):
                    return False
        raise RuntimeError(f"could not apply {change.event_id} to ticket {change.ticket_id}")

    async def get(self, ticket_id: str) -> TicketRow | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        return _row(doc) if doc is not None else None

    async def list(self, since: datetime | None = None) -> list[TicketRow]:
        """Rows created since `since`, for KPIs computed in Python (FerretDB has no $percentile)."""
        query = {"created_at": {"$gte": since}} if since is not None else {}
        cursor = self.collection.find(query, {"applied_events": 0})
        return [_row(doc) async for doc in cursor]

    async def _holds(self, change: TicketChange) -> bool:
        found = await self.collection.find_one(
            {"_id": change.ticket_id, "applied_events": change.event_id}, {"_id": 1}
        )
        return found is not None


def _update(change: TicketChange) -> dict[str, Any]:
    """The Mongo form of `reporting.domain.tickets.apply_change`."""
    operators = {
        "$addToSet": {"applied_events": change.event_id, **change.members},
        "$set": dict(change.facts),
        "$min": dict(change.earliest),
        "$max": dict(change.highest),
        "$inc": dict(change.counts),
    }
    return {operator: fields for operator, fields in operators.items() if fields}


def _row(doc: dict[str, Any]) -> TicketRow:
    return TicketRow.model_validate({**doc, "ticket_id": doc["_id"]})
