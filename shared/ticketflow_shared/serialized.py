"""Making FerretDB 1.x behave for single-document writes; a pass-through on MongoDB.

FerretDB 1.x applies an update as "read the document, write it back", so two concurrent
updates of one document can lose one of them, conditional updates included (measured: 50
concurrent `$inc` of one field left it at 5-10). It also pushes only a bare `{_id: v}`
filter down to SQLite: `{_id: v, version: 3}` scans the whole collection. On FerretDB
every write a process makes to a collection therefore goes through one lock per
collection, and a write or read whose filter is `_id` plus conditions fetches the document
by `_id` and checks the conditions here. MongoDB applies each single-document update
atomically and uses indexes, so there none of this is switched on. With the workarounds off
(a test pass running on FerretDB the code MongoDB runs) filters go to the server as written,
but writes still take turns: FerretDB would otherwise lose one of two concurrent updates of a
document, e.g. a handler's and the outbox relay's, which no code of ours can make up for.
Across processes only inserts under a unique index are atomic on FerretDB, which is what
cross-process claims use; with `cross_process` on, each update, replace or delete that names
its documents by `_id` also holds a store lock on each of them (`store_locks.py`), so several
processes of a service may share the store. Writes naming no `_id` (e.g. `update_many` by
category) are not locked.
The writes of a collection take turns in arrival order, except that a write made
`ahead_of_queued_writes()` goes before every other one still waiting (one already under way
finishes first). A lone process that knows what a document holds may say so for one write
(`vouching.vouched_for`): asked when the write's turn comes, a yes sends it by `_id` unread.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, UpdateResult

from ticketflow_shared.contextual import setting
from ticketflow_shared.matching import Unsupported, matches, projected
from ticketflow_shared.metrics import STORE_COMMANDS, added_by_store_layer
from ticketflow_shared.store_locks import COLLECTION, StoreLocks, lock_key
from ticketflow_shared.vouching import vouched

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
INSERT_METHODS = frozenset({"insert_one", "insert_many"})
# The command each by-`_id` write method sends, for counting those answered here.
_COMMAND_OF = {
    "update_one": "update",
    "delete_one": "delete",
    "find_one_and_update": "findAndModify",
}
BY_ID_METHODS = frozenset({"find_one", "update_one", "find_one_and_update", "delete_one"})
_AHEAD: ContextVar[bool] = ContextVar("ahead_of_queued_writes", default=False)
WriteObserver = Callable[["SerializedCollection", str, tuple, dict], None]
"""Told of a write before it is sent: `(collection, method name, args, kwargs)`."""


def ahead_of_queued_writes() -> contextlib.AbstractContextManager[None]:
    """Writes made inside go before the collection's writes still waiting for their turn."""
    return setting(_AHEAD, True)


class WriteTurns:
    """One write at a time: in arrival order, writes made ahead of queued writes first."""

    def __init__(self) -> None:
        self._busy = False
        self._ahead: deque[asyncio.Future[None]] = deque()
        self._queued: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter = asyncio.get_running_loop().create_future()
        line = self._ahead if _AHEAD.get() else self._queued
        line.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._pass_on()  # given the turn just as it was cancelled: hand it on
            elif waiter in line:
                line.remove(waiter)
            raise

    async def __aexit__(self, *_: object) -> None:
        self._pass_on()

    def _pass_on(self) -> None:
        for line in (self._ahead, self._queued):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # straight to the next writer: still busy
                    return
        self._busy = False


def _plain_ids(query: Any) -> list[Any]:
    """The `_id`s a filter names one by one: a plain `_id`, or an `_id` `$in` list."""
    if not isinstance(query, dict) or "_id" not in query:
        return []
    doc_id = query["_id"]
    if not isinstance(doc_id, dict):
        return [doc_id]
    if set(doc_id) == {"$in"} and isinstance(doc_id["$in"], list | tuple):
        return [i for i in doc_id["$in"] if not isinstance(i, dict)]
    return []


def _locked_ids(name: str, args: tuple, kwargs: dict) -> list[Any]:
    """The documents a write changes in place, by `_id`: those its process locks."""
    if name in INSERT_METHODS:
        return []  # an insert is atomic on its own
    if name == "bulk_write":
        requests = args[0] if args else kwargs.get("requests", [])
        return [i for request in requests for i in _plain_ids(getattr(request, "_filter", None))]
    return _plain_ids(args[0] if args else kwargs.get("filter"))


def _split_by_id(query: Any) -> tuple[Any, dict[str, Any]] | None:
    """`(id, other conditions)` for a filter on one plain `_id` plus conditions."""
    if not isinstance(query, dict) or len(query) < 2 or "_id" not in query:
        return None
    doc_id = query["_id"]
    if isinstance(doc_id, dict):
        return None
    return doc_id, {key: value for key, value in query.items() if key != "_id"}


class SerializedCollection:
    """An AsyncCollection that, on FerretDB, serialises writes and looks up by `_id`."""

    def __init__(self, collection: AsyncCollection, owner: "SerializedDatabase") -> None:
        self._collection = collection
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in WRITE_METHODS and name not in BY_ID_METHODS:
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            observer = self._owner.observers.get(self._collection.name)
            if observer is not None and name in WRITE_METHODS:
                observer(self, name, args, kwargs)
            if not self._owner.ferretdb:
                return await attribute(*args, **kwargs)
            if name not in WRITE_METHODS:
                return await self._by_id(name, attribute, args, kwargs)
            async with self._owner.lock_for(self._collection.name):
                locks = self._owner.store_locks
                if locks is None:
                    return await self._by_id(name, attribute, args, kwargs)
                keys = _locked_ids(name, args, kwargs)
                async with locks.holding(lock_key(self._collection.name, i) for i in keys):
                    return await self._by_id(name, attribute, args, kwargs)

        return call

    async def _by_id(self, name: str, method: Any, args: tuple, kwargs: dict) -> Any:
        split = _split_by_id(args[0] if args else kwargs.get("filter"))
        rewrite = self._owner.serialize and name in BY_ID_METHODS and not kwargs.get("sort")
        if not rewrite or split is None:
            return await method(*args, **kwargs)
        doc_id, conditions = split
        rest = args[1:]
        if name != "find_one" and self._vouched():
            return await method(
                {"_id": doc_id}, *rest, **{k: v for k, v in kwargs.items() if k != "filter"}
            )
        if name == "find_one":
            current = await self._collection.find_one({"_id": doc_id})
        else:
            with added_by_store_layer():
                current = await self._collection.find_one({"_id": doc_id})
        try:
            matched = current is not None and matches(current, conditions)
        except Unsupported:
            return await method(*args, **kwargs)
        if matched and name == "find_one":
            answer = projected(current, rest[0] if rest else kwargs.get("projection"))
            if answer is not None:
                return answer
        if matched:
            return await method(
                {"_id": doc_id}, *rest, **{k: v for k, v in kwargs.items() if k != "filter"}
            )
        if kwargs.get("upsert"):
            if current is None and _only_operators(conditions):
                return await method({"_id": doc_id}, *rest, **kwargs)
            if current is not None:
                # What the server answers too (it would insert a second row with this `_id`),
                # after scanning the collection on FerretDB.
                STORE_COMMANDS.answered_by_layer(_COMMAND_OF[name], self._collection.name)
                raise _duplicate_id(doc_id)
            return await method(*args, **kwargs)
        if name in _COMMAND_OF:
            STORE_COMMANDS.answered_by_layer(_COMMAND_OF[name], self._collection.name)
        return _no_match(name)

    def _vouched(self) -> bool:
        return self._owner.alone_on_ferretdb and vouched()

    def __eq__(self, other: object) -> bool:
        return self._collection == getattr(other, "_collection", other)

    def __hash__(self) -> int:
        return hash(self._collection)


def lone_on_ferretdb(collection: Any) -> bool:
    """Whether `collection` is on FerretDB behind the workarounds, in a process that is its
    service's only one (store locks off): a query other than by `_id` then reads the whole
    collection, and only this process writes it, so it may keep track of what it wrote."""
    return isinstance(collection, SerializedCollection) and collection._owner.alone_on_ferretdb


def _only_operators(conditions: dict[str, Any]) -> bool:
    """True when an upsert would insert nothing from these conditions but the `_id`."""
    return all(
        isinstance(value, dict) and value and all(str(k).startswith("$") for k in value)
        for value in conditions.values()
    )


def _duplicate_id(doc_id: Any) -> DuplicateKeyError:
    """The error an upsert gets whose filter misses the existing document with its `_id`."""
    details = {
        "code": 11000,
        "errmsg": f"E11000 duplicate key error dup key: {{ _id: {doc_id!r} }}",
        "keyPattern": {"_id": 1},
        "keyValue": {"_id": doc_id},
    }
    return DuplicateKeyError(details["errmsg"], 11000, details)


def _no_match(name: str) -> Any:
    if name == "update_one":
        return UpdateResult({"n": 0, "nModified": 0, "ok": 1.0}, acknowledged=True)
    if name == "delete_one":
        return DeleteResult({"n": 0, "ok": 1.0}, acknowledged=True)
    return None


class SerializedDatabase:
    """An AsyncDatabase handing out SerializedCollections."""

    def __init__(
        self, database: AsyncDatabase, *, cross_process: bool = False, workarounds: bool = True
    ) -> None:
        self._database = database
        self._locks: dict[str, WriteTurns] = {}
        self.ferretdb = False
        self.serialize = False
        self.cross_process = cross_process
        self.workarounds = workarounds
        self.store_locks: StoreLocks | None = None
        self.observers: dict[str, WriteObserver] = {}

    def observe_writes(self, collections: Iterable[str], observer: WriteObserver) -> None:
        """Call `observer` before each write to one of `collections` is sent, on any server."""
        for name in collections:
            self.observers[name] = observer

    @property
    def alone_on_ferretdb(self) -> bool:
        """FerretDB with its workarounds, store locks off: this process is its service's
        only one, and a query other than by `_id` reads whole collections."""
        return self.serialize and not self.cross_process

    def lock_for(self, collection: str) -> WriteTurns:
        return self._locks.setdefault(collection, WriteTurns())

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
        """Switch the FerretDB behaviour on when the server is FerretDB."""
        info = await self._database.client.admin.command("buildInfo")
        self.ferretdb = "ferretdbVersion" in info
        self.serialize = self.ferretdb and self.workarounds
        if self.serialize and self.cross_process:
            self.store_locks = StoreLocks(self._database[COLLECTION])
        return self.serialize
