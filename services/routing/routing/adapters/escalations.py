"""Fired escalation steps: one document per ticket, policy version and step, whose insert is
the claim (only one process wins it) and whose outbox holds the step's ticket.escalated."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain.escalation import StepFired
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope


class MongoEscalations:
    def __init__(self, collection: AsyncCollection, publish: outbox.OutboxFlush) -> None:
        self.collection = collection
        self.publish = publish

    async def claim(self, fired: StepFired, events: list[Envelope], now: datetime) -> bool:
        """Record the step as fired; False if some process recorded it already."""
        fields, entries = outbox.outbox_fields(events, now)
        doc = {
            "_id": fired.key,
            "ticket_id": fired.ticket_id,
            "policy": fired.policy,
            "policy_version": fired.policy_version,
            "step": fired.step,
            "after_seconds": fired.after_seconds,
            "actions": fired.actions,
            "due_at": fired.due_at,
            "fired_at": fired.fired_at,
            "raised_to": fired.raised_to.value if fired.raised_to else None,
            "overflow_to": fired.overflow_to,
            **fields,
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        if entries:
            await self.publish(self.collection, fired.key, entries)
        return True

    async def of_ticket(self, ticket_id: str) -> list[dict[str, Any]]:
        """The steps fired for a ticket, in the order they fired."""
        hidden = {outbox.OUTBOX: 0, outbox.OUTBOX_SINCE: 0, "_id": 0}
        cursor = self.collection.find({"ticket_id": ticket_id}, hidden).sort("fired_at", 1)
        return [doc async for doc in cursor]
