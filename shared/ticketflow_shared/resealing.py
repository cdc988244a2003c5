"""A pass that seals what a collection holds in clear text or under an older key, once per key.

It runs at start, before the service takes requests or events: every document is read once
(`rewrite` says what to `$set`, or None when it is current already) and a marker in
`migrations` named after the active key says the pass is done. Making a new key active and
restarting therefore re-seals everything stored under the older keys, once; values written
meanwhile are sealed with the active key anyway. Safe to repeat and to interrupt.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared.events import utcnow
from ticketflow_shared.pii import FieldCipher

log = logging.getLogger(__name__)
MIGRATIONS = "migrations"

Update = tuple[Mapping[str, Any], Mapping[str, Any]]
"""`(extra filter, fields to $set)`: the filter guards fields other writers may change."""
Rewrite = Callable[[dict[str, Any]], Sequence[Update] | None]


def marker_id(collection: AsyncCollection, cipher: FieldCipher) -> str:
    return f"{collection.name}:sealed_with:{cipher.active}"


async def reseal_once(
    collection: AsyncCollection,
    migrations: AsyncCollection,
    cipher: FieldCipher,
    rewrite: Rewrite,
    projection: Mapping[str, Any] | None = None,
) -> int:
    """Seal every document of `collection` with the active key unless done; how many changed."""
    marker = {"_id": marker_id(collection, cipher)}
    if await migrations.find_one(marker, {"_id": 1}) is not None:
        return 0
    changed = 0
    async for doc in collection.find({}, projection):
        updates = rewrite(doc)
        if not updates:
            continue
        for guard, fields in updates:
            # A guard that misses means another writer just wrote those fields, sealed.
            await collection.update_one({"_id": doc["_id"], **guard}, {"$set": dict(fields)})
        changed += 1
    await migrations.update_one(marker, {"$set": {"done_at": utcnow()}}, upsert=True)
    if changed:
        log.info("sealed %d %s documents with key %s", changed, collection.name, cipher.active)
    return changed
