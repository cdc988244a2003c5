"""Tickets in MongoDB; each write carries the events it causes in the same document."""

from typing import Any

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.adapters.documents import from_document, mutable_fields, to_document
from intake.domain.errors import ConcurrentUpdate, TicketIdTaken
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope

SOURCE = "/ticketflow/intake"
# The outbox is the relay's business, never part of what the domain reads.
_READ_PROJECTION = {outbox.OUTBOX: 0, outbox.OUTBOX_SINCE: 0}

INDEXES = [
    IndexModel([("status", 1), ("created_at", DESCENDING)], name="status_created"),
    IndexModel([("customer_email", 1), ("created_at", DESCENDING)], name="customer_created"),
    IndexModel([("created_at", DESCENDING)], name="created"),
]


class MongoTicketRepository:
    def __init__(
        self, collection: AsyncCollection, flush: outbox.OutboxFlush, source: str = SOURCE
    ) -> None:
        self.collection = collection
        self.flush = flush
        self.source = source

    async def add(self, ticket: Ticket) -> None:
        """Insert ticket and outbox in one write; the insert is also the id uniqueness check."""
        pending, entries = outbox.outbox_fields(self._envelopes(ticket))
        doc = {**to_document(ticket), **pending}
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise TicketIdTaken(ticket.id) from exc
        ticket.events.clear()
        await self.flush(self.collection, ticket.id, entries)

    async def get(self, ticket_id: str) -> Ticket | None:
        doc = await self.collection.find_one({"_id": ticket_id}, _READ_PROJECTION)
        return from_document(doc) if doc else None

    async def save(self, ticket: Ticket) -> None:
        """Compare-and-set on `version`, so two writers never overwrite each other."""
        record_events, entries = outbox.push_outbox(self._envelopes(ticket))
        update = outbox.merge_updates(
            {"$set": mutable_fields(ticket), "$inc": {"version": 1}}, record_events
        )
        result = await self.collection.update_one(
            {"_id": ticket.id, "version": ticket.version}, update
        )
        if result.matched_count == 0:
            raise ConcurrentUpdate(ticket.id)
        ticket.version += 1
        ticket.events.clear()
        if entries:
            await self.flush(self.collection, ticket.id, entries)

    async def find(
        self, *, status: TicketStatus | None, customer_email: str | None, limit: int
    ) -> tuple[list[Ticket], int]:
        """Newest first, at most `limit`, and how many match in all."""
        query: dict[str, Any] = {}
        if status is not None:
            query["status"] = status.value
        if customer_email:
            query["customer_email"] = customer_email.lower()
        cursor = self.collection.find(query, _READ_PROJECTION)
        docs = await cursor.sort("created_at", DESCENDING).limit(limit).to_list()
        total = await self.collection.count_documents(query)
        return [from_document(doc) for doc in docs], total

    def _envelopes(self, ticket: Ticket) -> list[Envelope]:
        return outbox.recorded_events(ticket.events, source=self.source, subject=ticket.id)
