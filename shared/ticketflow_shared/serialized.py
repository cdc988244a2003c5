"""Write serialisation for stores whose single-document updates are not atomic.

FerretDB 1.x reads a document and writes it back as two steps, so two concurrent updates
of one document can lose one of them, conditional updates included (measured: 50
concurrent `$inc` of one field left it at 5-10). MongoDB applies each single-document
update atomically and needs none of this. On FerretDB every write a process makes to a
collection goes through one lock per collection; reads are not held up. Across processes
only inserts with a unique key are atomic there, which is what cross-process claims use.
"""

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

WRITE_METHODS = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "bulk_write",
    }
)


class SerializedCollection:
    """An AsyncCollection whose writes wait for each other while `serialize` is on."""

    def __init__(self, collection: AsyncCollection, owner: "SerializedDatabase") -> None:
        self._collection = collection
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in WRITE_METHODS:
            return attribute
        lock = self._owner.lock_for(self._collection.name)

        async def serialized(*args: Any, **kwargs: Any) -> Any:
            if not self._owner.serialize:
                return await attribute(*args, **kwargs)
            async with lock:
                return await attribute(*args, **kwargs)

        return serialized

    def __eq__(self, other: object) -> bool:
        other_collection = getattr(other, "_collection", other)
        return self._collection == other_collection

    def __hash__(self) -> int:
        return hash(self._collection)


class SerializedDatabase:
    """An AsyncDatabase handing out SerializedCollections."""

    def __init__(self, database: AsyncDatabase) -> None:
        self._database = database
        self._locks: dict[str, asyncio.Lock] = {}
        self.serialize = False

    def lock_for(self, collection: str) -> asyncio.Lock:
        return self._locks.setdefault(collection, asyncio.Lock())

    def __getitem__(self, name: str) -> SerializedCollection:
        return SerializedCollection(self._database[name], self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self._database, name)
        if isinstance(attribute, AsyncCollection):
            return SerializedCollection(attribute, self)
        return attribute

    async def detect(self) -> bool:
        """Turn serialisation on when the server is FerretDB."""
        info = await self._database.client.admin.command("buildInfo")
        self.serialize = "ferretdbVersion" in info
        return self.serialize
