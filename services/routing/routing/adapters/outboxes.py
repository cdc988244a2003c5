"""Deleting a document only once its pending events are out."""

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared import outbox


class EventsNotPublished(RuntimeError):
    """A document's pending events could not be published, so it is kept for now."""


async def publish_then_delete(
    collection: AsyncCollection, doc: Mapping[str, Any], publish: outbox.OutboxFlush
) -> bool:
    """Delete `doc`, publishing its pending events first so that deleting never loses one."""
    entries = doc.get(outbox.OUTBOX) or []
    if entries:
        await publish(collection, doc["_id"], entries)
        left = await collection.find_one({"_id": doc["_id"]}, {outbox.OUTBOX: 1})
        if left and left.get(outbox.OUTBOX):
            raise EventsNotPublished(f"{collection.name} {doc['_id']}")
    result = await collection.delete_one({"_id": doc["_id"]})
    return result.deleted_count == 1
