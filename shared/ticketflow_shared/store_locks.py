"""Short store-held locks on single documents, for several processes sharing one FerretDB.

FerretDB 1.x applies an update as "read the document, write it back", and the only write
it makes atomic across processes is an insert under a unique index. A lock on a document is
therefore a document in `store_locks` whose `_id` names it: inserting it takes the lock,
deleting it gives it back. A process that dies holding one leaves it behind; after
`LEASE_SECONDS` another process may break it. MongoDB needs none of this.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ticketflow_shared.metrics import added_by_store_layer

COLLECTION = "store_locks"
# Far longer than one update takes, even behind a backlog of the process's queued writes.
LEASE_SECONDS = 30.0
FIRST_WAIT_SECONDS = 0.001
LONGEST_WAIT_SECONDS = 0.05


def lock_key(collection: str, doc_id: object) -> str:
    return f"{collection}/{doc_id!r}"


class StoreLocks:
    """Locks by key, each held by one process at a time across every process of the store."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection
        self.owner = uuid.uuid4().hex

    @contextlib.asynccontextmanager
    async def holding(self, keys: Iterable[str]) -> AsyncIterator[None]:
        """Hold every lock in `keys`, taken in sorted order so two processes never deadlock."""
        # Every key this may hold: a cancel during an insert may leave the lock taken
        # without the insert's answer, so the key being taken counts too.
        tried: list[str] = []
        try:
            for key in sorted(set(keys)):
                tried.append(key)
                await self._acquire(key)
            yield
        finally:
            if tried:
                # Given back even when the caller is cancelled: others would wait a lease.
                await asyncio.shield(self._release(tried))

    async def _acquire(self, key: str) -> None:
        with added_by_store_layer():
            await self._take(key)

    async def _take(self, key: str) -> None:
        wait = FIRST_WAIT_SECONDS
        while True:
            try:
                await self.collection.insert_one(
                    {"_id": key, "owner": self.owner, "at": time.time()}
                )
                return
            except DuplicateKeyError:
                pass
            held = await self.collection.find_one({"_id": key})
            if held is not None and held["at"] < time.time() - LEASE_SECONDS:
                # Its holder died. Only that holder's document is deleted: a process that
                # broke it first and took it since keeps its own.
                await self.collection.delete_one({"_id": key, "owner": held["owner"]})
                continue
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT_SECONDS)

    async def _release(self, keys: list[str]) -> None:
        """Delete this process's locks among `keys`; one held by another is left alone."""
        with added_by_store_layer():
            for key in keys:
                await self.collection.delete_one({"_id": key, "owner": self.owner})
