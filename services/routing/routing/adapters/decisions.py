"""The last routing decision per ticket (`_id` = ticket id, replaced at each decision)."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


class MongoDecisions:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def put(self, ticket_id: str, decision: dict[str, Any]) -> None:
        try:
            await self.collection.replace_one({"_id": ticket_id}, decision, upsert=True)
        except DuplicateKeyError:
            await self.collection.replace_one({"_id": ticket_id}, decision)

    async def get(self, ticket_id: str) -> dict[str, Any] | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        if doc is not None:
            doc.pop("_id")
        return doc
