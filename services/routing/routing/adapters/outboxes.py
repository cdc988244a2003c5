"""Deleting a document only once its pending events are out."""

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared import outbox


class EventsNotPublished(RuntimeError):
    """A document's pending events could not be published, so it is kept for now."""


async def publish_then_delete(
    collection: AsyncCollection,
    doc: Mapping[str, Any],
    publish: outbox.OutboxFlush,
    same: Mapping[str, Any] | None = None,
) -> bool:
    """Delete `doc`, publishing its pending events first so that deleting never loses one.

    `same`: fields that tell this document from a later one that may take its `_id` once it
    is gone; only a document that still has them is checked and deleted.
    """
    this_doc = {"_id": doc["_id"], **(same or {})}
    entries = doc.get(outbox.OUTBOX) or []
    if entries:
        await publish(collection, doc["_id"], entries)
        left = await collection.find_one(this_doc, {outbox.OUTBOX: 1})
        if left and left.get(outbox.OUTBOX):
            raise EventsNotPublished(f"{collection.name} {doc['_id']}")
    result = await collection.delete_one(this_doc)
    return result.deleted_count == 1
