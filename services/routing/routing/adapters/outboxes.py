"""Outbox entries on inserted documents, and deleting a document only once its events are out."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, utcnow

Publish = Callable[[AsyncCollection, Any, list[dict]], Awaitable[None]]


class EventsNotPublished(RuntimeError):
    """A document's pending events could not be published, so it is kept for now."""


def outbox_fields(envelopes: list[Envelope]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Fields that record `envelopes` in a document about to be inserted, and the entries."""
    entries = [outbox.outbox_entry(envelope) for envelope in envelopes]
    if not entries:
        return {}, entries
    return {outbox.OUTBOX: entries, outbox.OUTBOX_SINCE: utcnow()}, entries


async def publish_then_delete(
    collection: AsyncCollection, doc: Mapping[str, Any], publish: Publish
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
