"""MongoDB access on PyMongo's async API; works on MongoDB 7+ and FerretDB alike."""

import contextlib
from collections.abc import Mapping, Sequence

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ticketflow_shared.events import utcnow

IndexSpec = Mapping[str, Sequence[IndexModel]]


def mongo_client(url: str, app_name: str) -> AsyncMongoClient:
    return AsyncMongoClient(url, tz_aware=True, appname=app_name, w="majority")


async def ensure_indexes(db: AsyncDatabase, specs: IndexSpec) -> None:
    """Create each collection's indexes; safe to run at every start.

    One index per call: FerretDB 1.24 drops the connection when one call names several
    indexes and some of them exist already.
    """
    for collection, indexes in specs.items():
        for index in indexes:
            await db[collection].create_indexes([index])


async def ping(db: AsyncDatabase) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True


class Inbox:
    """Ids of events this service has handled, so a redelivered event changes nothing."""

    def __init__(self, db: AsyncDatabase, collection: str = "inbox") -> None:
        self.collection = db[collection]

    async def seen(self, event_id: str) -> bool:
        return await self.collection.find_one({"_id": event_id}, {"_id": 1}) is not None

    async def remember(self, event_id: str, event_type: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(
                {"_id": event_id, "type": event_type, "handled_at": utcnow()}
            )
