"""MongoDB access on PyMongo's async API; works on MongoDB 7+ and FerretDB alike."""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import pymongo
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ticketflow_shared.events import utcnow
from ticketflow_shared.metrics import STORE_COMMANDS

IndexSpec = Mapping[str, Sequence[IndexModel]]


def mongo_client(url: str, app_name: str) -> AsyncMongoClient:
    return AsyncMongoClient(
        url, tz_aware=True, appname=app_name, w="majority", event_listeners=[STORE_COMMANDS]
    )


async def ensure_indexes(db: AsyncDatabase, specs: IndexSpec) -> None:
    """Create each collection's indexes; safe to run at every start.

    One index per call: FerretDB 1.24 drops the connection when one call names several
    indexes and some of them exist already.
    """
    for collection, indexes in specs.items():
        for index in indexes:
            await db[collection].create_indexes([index])


async def ping(db: AsyncDatabase, timeout: float = 1.0) -> bool:
    """True if the store answers within `timeout` seconds.

    Bounded: with the store down, server selection alone waits 30 s, and a readiness probe
    must say "not ready" meanwhile rather than hang.
    """
    try:
        with pymongo.timeout(timeout):
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


def replace_map(field: str, old: Any, new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Update operators that turn map field `field` from `old` into `new`, one key at a time.

    FerretDB 1.24 skips a `$set` whose value it finds identical to the stored one, and for
    sub-documents it compares the values in order and ignores the keys: `{"yy": 3}` ->
    `{"ww": 3}` is silently not written. Setting `field.key` for each key that changed and
    unsetting the keys that went away means the same on MongoDB and is written on FerretDB.
    `old` must be what the store holds now (the caller's filter should make sure of it).
    Keys must be names, not paths: no `.`, no `$`. Nested maps are compared key by key too;
    lists are set whole.
    """
    _check_keys(field, new)
    if not isinstance(old, Mapping):
        # Nothing stored, or null: a document is never "identical" to that, and `field.key`
        # cannot be created inside a null.
        return {"$set": {field: dict(new)}}
    _check_keys(field, old)
    operators: dict[str, dict[str, Any]] = {}
    for key, value in new.items():
        if key in old and isinstance(value, Mapping) and isinstance(old[key], Mapping):
            for operator, fields in replace_map(f"{field}.{key}", old[key], value).items():
                operators.setdefault(operator, {}).update(fields)
        elif key not in old or old[key] != value or type(old[key]) is not type(value):
            operators.setdefault("$set", {})[f"{field}.{key}"] = value
    gone = {f"{field}.{key}": "" for key in old if key not in new}
    if gone:
        operators.setdefault("$unset", {}).update(gone)
    return operators


def _check_keys(field: str, value: Mapping[str, Any]) -> None:
    for key, item in value.items():
        if not isinstance(key, str) or not key or "." in key or "$" in key or "\0" in key:
            raise ValueError(f"{field}: {key!r} is not a plain field name")
        if isinstance(item, Mapping):
            _check_keys(f"{field}.{key}", item)
