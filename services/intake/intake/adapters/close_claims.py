"""Claims on closing a ticket at one version: one insert under a unique `_id` each, the only
write FerretDB 1.x makes atomic across processes."""

from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

CLOSE_CLAIMS = "close_claims"
# Takeovers of one ticket version's claim before giving up until the ticket changes.
MAX_ATTEMPTS = 20


class MongoCloseClaims:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def claim(self, ticket_id: str, version: int, now: datetime, lease: timedelta) -> bool:
        """Whether this caller may close the ticket at `version`: the first to insert the
        claim may; a claim older than `lease` (its holder died) is taken over by the first to
        insert the next attempt's."""
        for attempt in range(MAX_ATTEMPTS):
            key = f"{ticket_id}:{version}:{attempt}"
            try:
                await self.collection.insert_one({"_id": key, "ticket_id": ticket_id, "at": now})
                return True
            except DuplicateKeyError:
                held = await self.collection.find_one({"_id": key}, {"at": 1})
                if held is None or held["at"] > now - lease:
                    return False
        return False

    async def forget_before(self, before: datetime) -> int:
        """Drop claims older than `before`, when no reader of their ticket's old version is
        left; how many went."""
        result = await self.collection.delete_many({"at": {"$lt": before}})
        return result.deleted_count
