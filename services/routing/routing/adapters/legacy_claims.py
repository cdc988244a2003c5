"""Claims stored before claims were keyed by ticket id, moved under their ticket's `_id`.

Those have a random `_id`, so looking a ticket's claim up by `_id` would not find them:
their slots would stay taken and their tickets held for good. Run once at start, before the
consumers and the sweep; with nothing left to move it reads the (small) collection once.
"""

from typing import Any
from uuid import uuid4

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from routing.adapters.assignments import ANNOUNCED, CLAIM, HELD_EVENTS
from routing.adapters.collections import ASSIGNMENTS, TICKETS
from ticketflow_shared import outbox


def _keyed(doc: dict[str, Any]) -> dict[str, Any]:
    keyed = {**doc, "_id": doc["ticket_id"], CLAIM: uuid4().hex}
    if doc.get(ANNOUNCED) is False:
        # Held back as claims are now: outside the outbox until announced.
        keyed[HELD_EVENTS] = keyed.pop(outbox.OUTBOX, [])
        keyed.pop(outbox.OUTBOX_SINCE, None)
    return keyed


async def key_claims_by_ticket(db: AsyncDatabase) -> int:
    """Move every claim without a claim token under its ticket id; how many were moved."""
    assignments, tickets = db[ASSIGNMENTS], db[TICKETS]
    moved = 0
    for doc in await assignments.find({CLAIM: {"$exists": False}}).to_list():
        ticket_id = doc["ticket_id"]
        # The old document must go before the new one can take its slot. Should the process
        # stop in between, the ticket would be held by nobody; marked unrouted first, the
        # sweep's stale pass routes it again then (and finds it held if the move finished).
        await tickets.update_one({"_id": ticket_id}, {"$set": {"routed": False}})
        if (await assignments.delete_one({"_id": doc["_id"]})).deleted_count == 0:
            continue  # another instance is moving it
        try:
            await assignments.insert_one(_keyed(doc))
        except DuplicateKeyError:
            continue  # slot or ticket taken meanwhile: the stale pass routes the ticket again
        await tickets.update_one({"_id": ticket_id}, {"$set": {"routed": True}})
        moved += 1
    return moved
