"""Routing rules (category -> required skill and level) in Mongo, with a per-process copy
for the ticket path (`RefreshedCopy`): this process's writes show at once, another's within
`REFRESH_SECONDS`."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import RoutingRule
from ticketflow_shared.refreshed import RefreshedCopy

REFRESH_SECONDS = 2.0


def _rule(doc: dict[str, Any]) -> RoutingRule:
    return RoutingRule(category=doc["_id"], skill=doc["skill"], min_level=doc["min_level"])


class MongoRules:
    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.copy = RefreshedCopy(self._by_category, refresh_seconds)

    async def get(self, category: str) -> RoutingRule | None:
        doc = await self.collection.find_one({"_id": category})
        return _rule(doc) if doc else None

    async def in_force(self, category: str) -> RoutingRule | None:
        return (await self.copy.current()).get(category)

    async def _by_category(self) -> dict[str, RoutingRule]:
        return {rule.category: rule for rule in await self.all()}

    async def put(self, rule: RoutingRule, now: datetime) -> None:
        doc = {"skill": rule.skill, "min_level": rule.min_level, "updated_at": now}
        try:
            await self.collection.replace_one({"_id": rule.category}, doc, upsert=True)
        except DuplicateKeyError:
            # Two first writes raced to insert; the document exists now, so replace it.
            await self.collection.replace_one({"_id": rule.category}, doc)
        finally:
            self.copy.forget()

    async def all(self) -> list[RoutingRule]:
        return [_rule(doc) async for doc in self.collection.find().sort("_id", 1)]
