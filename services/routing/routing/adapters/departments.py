"""Departments' routing settings in Mongo."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import DepartmentSettings


def _settings(doc: dict[str, Any]) -> DepartmentSettings:
    return DepartmentSettings.of(doc["_id"], doc.get("release_capacity_on") or [])


class MongoDepartments:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def get(self, name: str) -> DepartmentSettings | None:
        doc = await self.collection.find_one({"_id": name})
        return _settings(doc) if doc else None

    async def put(self, settings: DepartmentSettings, now: datetime) -> None:
        statuses = sorted(status.value for status in settings.release_capacity_on)
        doc = {"release_capacity_on": statuses, "updated_at": now}
        try:
            await self.collection.replace_one({"_id": settings.name}, doc, upsert=True)
        except DuplicateKeyError:
            # Two first writes raced to insert; the document exists now, so replace it.
            await self.collection.replace_one({"_id": settings.name}, doc)

    async def all(self) -> list[DepartmentSettings]:
        return [_settings(doc) async for doc in self.collection.find().sort("_id", 1)]
