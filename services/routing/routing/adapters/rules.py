"""Routing rules (category -> required skill and level) in Mongo."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import RoutingRule


def _rule(doc: dict[str, Any]) -> RoutingRule:
    return RoutingRule(category=doc["_id"], skill=doc["skill"], min_level=doc["min_level"])


class MongoRules:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def get(self, category: str) -> RoutingRule | None:
        doc = await self.collection.find_one({"_id": category})
        return _rule(doc) if doc else None

    async def put(self, rule: RoutingRule, now: datetime) -> None:
        doc = {"skill": rule.skill, "min_level": rule.min_level, "updated_at": now}
        try:
            await self.collection.replace_one({"_id": rule.category}, doc, upsert=True)
        except DuplicateKeyError:
            # Two first writes raced to insert; the document exists now, so replace it.
            await self.collection.replace_one({"_id": rule.category}, doc)

    async def all(self) -> list[RoutingRule]:
        return [_rule(doc) async for doc in self.collection.find().sort("_id", 1)]
