"""Tickets in MongoDB; each write carries the events it causes in the same document."""

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import bson
from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.adapters.customers import CustomerTickets
from intake.adapters.documents import (
    LEGACY_FIELDS,
    customer_index,
    from_document,
    mutable_fields,
    resealed,
    to_document,
)
from intake.adapters.timelines import MongoTimelines
from intake.domain.errors import ConcurrentUpdate, TicketIdTaken
from intake.domain.ticket import Ticket, TicketStatus
from intake.domain.timelines import TimelineTicket
from ticketflow_shared import outbox
from ticketflow_shared.access.principal import Scope, scope_filter
from ticketflow_shared.events import Envelope
from ticketflow_shared.pii import FieldCipher
from ticketflow_shared.recent import Recent
from ticketflow_shared.resealing import reseal_once
from ticketflow_shared.serialized import lone_on_ferretdb
from ticketflow_shared.vouching import vouched_for

SOURCE = "/ticketflow/intake"
EVERYTHING = Scope(everything=True)
# The outbox is the relay's business, never part of what the domain reads.
_READ_PROJECTION = {outbox.OUTBOX: 0, outbox.OUTBOX_SINCE: 0}
# `_id` lookups one customer listing keeps in flight: fewer waits, without flooding the pool.
LOOKUPS_AT_ONCE = 16
# Tickets whose stored version, and whose stored document, a lone FerretDB process
# remembers (see `KnownTickets`): the documents of those written or read most recently.
VERSIONS_KEPT = 20_000
DOCUMENTS_KEPT = 2_000

INDEXES = [
    IndexModel([("status", 1), ("created_at", DESCENDING)], name="status_created"),
    IndexModel([("created_at", DESCENDING)], name="created"),
    IndexModel([("departments", 1), ("created_at", DESCENDING)], name="departments_created"),
    IndexModel([("created_by", 1), ("created_at", DESCENDING)], name="creator_created"),
    # The desk (an agent's tickets by status) and the automatic close (solved, oldest first).
    IndexModel([("assignee.agent_id", 1), ("status", 1)], name="agent_status"),
    IndexModel([("status", 1), ("resolved_at", 1)], name="status_resolved"),
]


class KnownTickets:
    """What a lone process on FerretDB knows of stored tickets: their `version`, and for the
    most recent their document, from its own writes and from a read during which it finished
    no write of a ticket. Its writes take turns there and each notes what it wrote before the
    next one's turn, so what is known at a write's turn is what is stored: a save expecting
    the known version needs no read to check it, and a read of a known document none at all.
    Documents are kept as BSON, as the store would return them."""

    def __init__(self, kept: int = VERSIONS_KEPT, documents_kept: int = DOCUMENTS_KEPT) -> None:
        self._versions: Recent[str, int] = Recent(kept)
        self._documents: Recent[str, bytes] = Recent(documents_kept)
        self.writes = 0  # finished, of any ticket: a read overlapping one teaches nothing

    def inserted(self, doc: dict[str, Any]) -> None:
        self._versions.put(doc["_id"], doc["version"])
        self._documents.put(doc["_id"], bson.encode(doc))
        self.writes += 1

    def saved(
        self,
        ticket_id: str,
        expected_version: int,
        fields: dict[str, Any],
        removed: Iterable[str],
        options: Any,
    ) -> None:
        """Note a save from `expected_version` that set `fields` (`version` among them) and
        removed `removed`."""
        before = self.document(ticket_id, expected_version, options)
        self._versions.put(ticket_id, fields["version"])
        if before is None:
            self._documents.forget(ticket_id)
        else:
            after = {**before, **fields}
            for name in removed:
                after.pop(name, None)
            self._documents.put(ticket_id, bson.encode(after))
        self.writes += 1

    def read(self, doc: dict[str, Any], writes_before: int) -> None:
        if self.writes == writes_before:
            self._versions.put(doc["_id"], doc.get("version", 0))
            self._documents.put(doc["_id"], bson.encode(doc))

    def is_stored(self, ticket_id: str, version: int) -> bool:
        return self._versions.get(ticket_id) == version

    def document(self, ticket_id: str, version: int | None = None, options: Any = None) -> Any:
        """The stored document, a fresh copy, if known (and at `version`, if given)."""
        known = self._versions.get(ticket_id)
        encoded = self._documents.get(ticket_id)
        if encoded is None or known is None or (version is not None and known != version):
            return None
        doc = bson.decode(encoded, codec_options=options or bson.DEFAULT_CODEC_OPTIONS)
        return doc if doc.get("version", 0) == known else None

    def forget(self, ticket_id: str) -> None:
        self._versions.forget(ticket_id)
        self._documents.forget(ticket_id)
        self.writes += 1


class MongoTicketRepository:
    def __init__(
        self,
        collection: AsyncCollection,
        customers: CustomerTickets,
        flush: outbox.OutboxFlush,
        cipher: FieldCipher,
        source: str = SOURCE,
        timelines: MongoTimelines | None = None,
    ) -> None:
        self.collection = collection
        self.customers = customers
        # Each unified customer's tickets, filed by time, each with what its timeline shows.
        self.timelines = timelines
        self.flush = flush
        self.cipher = cipher
        self.source = source
        self._known = KnownTickets()

    async def add(self, ticket: Ticket) -> None:
        """File the id under its address, insert ticket and outbox in one write, then file
        the ticket on its customer's timeline before the outbox is flushed.

        The insert is also the id uniqueness check.
        """
        filed_under = customer_index(ticket.customer.email, self.cipher)
        if filed_under is not None:
            await self.customers.remember(filed_under, ticket.id)
        pending, entries = outbox.outbox_fields(self._envelopes(ticket))
        doc = {**to_document(ticket, self.cipher), **pending}
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise TicketIdTaken(ticket.id) from exc
        if (versions := self._versions()) is not None:
            versions.inserted({name: value for name, value in doc.items() if name not in pending})
        ticket.events.clear()
        await self._file(ticket)
        await self.flush(self.collection, ticket.id, entries)

    def _versions(self) -> KnownTickets | None:
        """What this process knows of stored tickets, where it can know it."""
        return self._known if lone_on_ferretdb(self.collection) else None

    async def get(self, ticket_id: str) -> Ticket | None:
        versions = self._versions()
        if versions is not None:
            known = versions.document(ticket_id, options=self.collection.codec_options)
            if known is not None:
                return from_document(known, self.cipher)
        writes_before = versions.writes if versions is not None else 0
        doc = await self.collection.find_one({"_id": ticket_id}, _READ_PROJECTION)
        if not doc:
            return None
        if versions is not None:
            versions.read(doc, writes_before)
        return from_document(doc, self.cipher)

    async def save(self, ticket: Ticket, expected_version: int) -> None:
        """Compare-and-set on `version`, so two writers never overwrite each other."""
        record_events, entries = outbox.push_outbox(self._envelopes(ticket))
        changes = {
            "$set": {**mutable_fields(ticket, self.cipher), "version": ticket.version},
            "$unset": dict.fromkeys(LEGACY_FIELDS, ""),
        }
        versions = self._versions()
        try:
            with self._vouched(versions, ticket.id, expected_version):
                result = await self.collection.update_one(
                    {"_id": ticket.id, "version": expected_version},
                    outbox.merge_updates(changes, record_events),
                )
        except BaseException:
            if versions is not None:
                versions.forget(ticket.id)
            raise
        if result.matched_count == 0:
            if versions is not None:
                versions.forget(ticket.id)
            raise ConcurrentUpdate(ticket.id)
        if versions is not None:
            options = self.collection.codec_options
            versions.saved(ticket.id, expected_version, changes["$set"], LEGACY_FIELDS, options)
        ticket.events.clear()
        await self._file(ticket)
        # Even with no entries: the relay then drops its note of this write.
        await self.flush(self.collection, ticket.id, entries)

    @staticmethod
    def _vouched(
        versions: KnownTickets | None, ticket_id: str, expected_version: int
    ) -> contextlib.AbstractContextManager:
        """Where this process knows the stored version, the compare-and-set needs no read."""
        if versions is None:
            return contextlib.nullcontext()
        return vouched_for(lambda: versions.is_stored(ticket_id, expected_version))

    async def refile(self, ticket_id: str) -> None:
        """File a stored ticket on its customer's timeline again: what its outbox entries
        wait for, redone before the relay publishes entries a crash left behind."""
        doc = await self.collection.find_one({"_id": ticket_id}, _READ_PROJECTION)
        if doc is not None:
            await self._file(from_document(doc, self.cipher))

    async def _file(self, ticket: Ticket) -> None:
        if self.timelines is not None and ticket.customer.customer_id:
            await self.timelines.file(ticket.customer.customer_id, TimelineTicket.of(ticket))

    async def for_agent(
        self, agent_id: str, statuses: tuple[TicketStatus, ...], limit: int
    ) -> list[Ticket]:
        query = {"assignee.agent_id": agent_id, "status": {"$in": [s.value for s in statuses]}}
        docs = await self.collection.find(query, _READ_PROJECTION).limit(limit).to_list()
        return [from_document(doc, self.cipher) for doc in docs]

    async def due_to_close(self, solved_by: datetime, limit: int) -> list[str]:
        query = {"status": TicketStatus.solved.value, "resolved_at": {"$lte": solved_by}}
        cursor = self.collection.find(query, {"_id": 1}).sort("resolved_at", 1).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def find(
        self,
        *,
        status: TicketStatus | None,
        customer_email: str | None,
        limit: int,
        scope: Scope = EVERYTHING,
    ) -> tuple[list[Ticket], int]:
        """Newest first, at most `limit`, and how many match in all, of what `scope` sees."""
        if customer_email:
            customer = customer_index(customer_email, self.cipher)
            return await self._find_for_customer(customer, status, limit, scope)
        query: dict[str, Any] = scope_filter(scope)
        if status is not None:
            query["status"] = status.value
        cursor = self.collection.find(query, _READ_PROJECTION)
        docs = await cursor.sort("created_at", DESCENDING).limit(limit).to_list()
        total = await self.collection.count_documents(query)
        return [from_document(doc, self.cipher) for doc in docs], total

    async def _find_for_customer(
        self, customer: str, status: TicketStatus | None, limit: int, scope: Scope
    ) -> tuple[list[Ticket], int]:
        """A customer's tickets by `_id`, newest filed first.

        Without a status filter only the newest `limit` (and any gaps) are read, and the count
        is the number filed; with one, every filed ticket is read to count its matches.
        """
        ids = await self.customers.ticket_ids(customer)
        ids.reverse()
        found: list[dict[str, Any]] = []
        missing = 0
        for start in range(0, len(ids), LOOKUPS_AT_ONCE):
            for doc in await self._by_ids(ids[start : start + LOOKUPS_AT_ONCE]):
                # An id whose insert never happened, or another customer's ticket (two requests
                # racing with one Idempotency-Key, or a clash of random ids), is skipped.
                # A ticket the caller may not see counts as missing too.
                if doc is None or doc["customer_email"] != customer or not _visible(doc, scope):
                    missing += 1
                elif status is None or doc["status"] == status.value:
                    found.append(doc)
            if status is None and len(found) >= limit:
                break
        found.sort(key=lambda doc: (doc["created_at"], doc["_id"]), reverse=True)
        total = len(ids) - missing if status is None else len(found)
        return [from_document(doc, self.cipher) for doc in found[:limit]], total

    async def _by_ids(self, ids: list[str]) -> list[dict[str, Any] | None]:
        """One bare `_id` lookup each, together; `$in` would read the whole collection."""
        lookups = (self.collection.find_one({"_id": i}, _READ_PROJECTION) for i in ids)
        return list(await asyncio.gather(*lookups))

    async def seal_stored(self, migrations: AsyncCollection) -> int:
        """Seal tickets stored in clear text or under an older key, then file them by index."""
        sealed = await reseal_once(
            self.collection,
            migrations,
            self.cipher,
            lambda doc: resealed(doc, self.cipher),
            _READ_PROJECTION,
        )
        await self.customers.build_from(self.collection)
        return sealed

    def _envelopes(self, ticket: Ticket) -> list[Envelope]:
        # Each recorded event is one version of the ticket, the last of them the current one.
        envelopes = outbox.recorded_events(ticket.events, source=self.source, subject=ticket.id)
        first = ticket.version - len(envelopes) + 1
        return [envelope.in_sequence(first + n) for n, envelope in enumerate(envelopes)]


def _visible(doc: dict[str, Any], scope: Scope) -> bool:
    return scope.allows(doc.get("departments", ()), doc.get("created_by"))
