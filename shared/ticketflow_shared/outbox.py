"""Transactional outbox kept inside the document it belongs to.

A state change and the events it causes are written in one single-document update: the
events go into that document's `outbox` array. The relay publishes them with confirms and
then removes exactly those entries. A crash between write and publish loses nothing (the
sweep at the next start, or the periodic one, finds the entries); a crash after publish
repeats an event, which consumers absorb by event id. The sweep is rare because on FerretDB
it scans whole collections; a publish that failed is retried by `_id` every poll. Both are
jobs on the process's scheduler (`schedule`).
A *tracked* collection is one whose every write that adds to an outbox is first told to the
relay (`expect`; the runtime does it for every write its store layer sends, see
`outbox_additions`): the relay then knows what it has yet to flush (a write cancelled or
failed before its flush included), retries those by `_id` every poll, and sweeps the
collection only once, at start, for what a crash left there. Its steady-state cost then
does not grow with the collection. A collection may name a `prepare` step: work its outbox
entries wait for (a projection written before the flush), rerun before leftover entries are
published.
In a process alone on FerretDB, once the start sweep is done, a flush of a tracked
document with no other write of it noted since its own knows the outbox holds just what it
published, and empties it without the read that checking would cost (`vouched_for`).
`$pullAll` of the exact stored entries is used because FerretDB does not support `$pull`
with a condition. Documents inserted with their outbox and written to by nothing else (a
timer's claim) are flushed in batches: published concurrently, then emptied by `_id` alone.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import trace
from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared.bulk import batches
from ticketflow_shared.bus import Bus
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.events import Envelope, Payload
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.vouching import vouched_for

log = logging.getLogger(__name__)
OUTBOX = "outbox"
OUTBOX_SINCE = "outbox_since"
EMPTIED = {"$set": {OUTBOX: []}, "$unset": {OUTBOX_SINCE: ""}}


OutboxFlush = Callable[[AsyncCollection, Any, list[dict]], Awaitable[None]]
"""Publish the outbox entries just written to one document: `(collection, doc id, entries)`."""
InsertedFlush = Callable[[AsyncCollection, Mapping[Any, list[dict]]], Awaitable[None]]
"""Publish the outboxes of documents just inserted with them: `(collection, {doc id: entries})`."""
Prepare = Callable[[Any], Awaitable[None]]
"""Redo what a document's outbox entries wait for, before leftovers are published: `(doc id)`."""


def recorded_events(events: Iterable[Payload], *, source: str, subject: str) -> list[Envelope]:
    """Envelopes for events a handler records now, stamped with the current trace."""
    return [with_trace(Envelope.wrap(event, source=source, subject=subject)) for event in events]


def outbox_entry(envelope: Envelope) -> dict[str, str]:
    return {"id": envelope.id, "type": envelope.type, "body": envelope.model_dump_json()}


def with_trace(envelope: Envelope) -> Envelope:
    """Stamp the current span's trace context on an event about to be recorded."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return envelope
    flags = f"{int(span_context.trace_flags):02x}"
    traceparent = f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags}"
    return envelope.model_copy(update={"traceparent": traceparent})


def push_outbox(
    envelopes: Sequence[Envelope], now: datetime | None = None
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Update operators that record `envelopes` in a document's outbox, and the entries.

    `now` is the time of the write, the handler's; without it the system clock's (for
    callers that do not pass their handler's time in yet).
    """
    entries = [outbox_entry(envelope) for envelope in envelopes]
    if not entries:
        return {}, entries
    since = now or SYSTEM_CLOCK.now()
    return {"$push": {OUTBOX: {"$each": entries}}, "$min": {OUTBOX_SINCE: since}}, entries


def outbox_fields(
    envelopes: Sequence[Envelope], now: datetime | None = None
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Fields that record `envelopes` in a document about to be inserted, and the entries;
    `now` as for `push_outbox`."""
    entries = [outbox_entry(envelope) for envelope in envelopes]
    if not entries:
        return {}, entries
    return {OUTBOX: entries, OUTBOX_SINCE: now or SYSTEM_CLOCK.now()}, entries


def merge_updates(*updates: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for update in updates:
        for operator, fields in update.items():
            merged.setdefault(operator, {}).update(fields)
    return merged


class OutboxRelay:
    """Publishes outbox entries: at once after a write, again for writes whose publish failed
    or that were never flushed, and by a full sweep at start (and, for collections not
    tracked, every `sweep_seconds`) for what a crash left behind."""

    def __init__(
        self,
        bus: Bus,
        collections: Iterable[AsyncCollection],
        poll_seconds: float = 1.0,
        sweep_seconds: float = 60.0,
        grace_seconds: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
        tracked: Iterable[str] = (),
    ) -> None:
        self.bus = bus
        self.collections = list(collections)
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.grace = timedelta(seconds=grace_seconds)
        self.clock = clock
        self.tracked = frozenset(tracked)
        # Tracked collections skip the periodic sweep only while this is on: a process that
        # is the only writer of its store, on FerretDB (where a sweep is a full scan). With
        # several processes a crashed one's leftovers would otherwise wait for a restart.
        self.sweep_tracked_at_start_only = True
        self.started_at = clock.now()
        self._failed: dict[tuple[str, Any], AsyncCollection] = {}
        # Documents written (or about to be) whose flush has not finished: (collection, since).
        self._expected: dict[tuple[str, Any], tuple[AsyncCollection, datetime]] = {}
        # Documents noted again before an earlier write's flush finished (or when it never
        # will: a request cut short): their next flush publishes the whole stored outbox.
        self._overlapped: set[tuple[str, Any]] = set()
        self._prepare: dict[str, Prepare] = {}
        self._swept_at_start = False

    def prepare_with(self, collection: str, prepare: Prepare) -> None:
        """Run `prepare` on a document of `collection` before publishing what it left behind."""
        self._prepare[collection] = prepare

    def expect(self, collection: AsyncCollection, doc_id: Any) -> None:
        """Note, before a write that adds to a document's outbox, that a flush must follow.

        A note still there is an earlier write's whose flush has not finished: the next
        flush then sends what that write left too, and the retry's grace runs from it."""
        key = (collection.name, doc_id)
        earlier = self._expected.get(key)
        since = self.clock.now()
        if earlier is not None:
            self._overlapped.add(key)
            since = min(since, earlier[1])
        self._expected[key] = (collection, since)

    async def flush(self, collection: AsyncCollection, doc_id: Any, entries: list[dict]) -> None:
        """Publish entries just written to one document, then remove them from its outbox.

        After an earlier failed publish for this document, or a write of it noted before an
        earlier one was flushed, its whole stored outbox goes out in order, so a newer event
        never overtakes an older one and none is left behind. The document's `expect` note
        is dropped once done, unless a newer write noted it again meanwhile.
        """
        key = (collection.name, doc_id)
        noted = self._expected.get(key)
        reread = key in self._failed or key in self._overlapped
        if reread:
            self._overlapped.discard(key)
            doc = await collection.find_one({"_id": doc_id}, {OUTBOX: 1})
            entries = (doc or {}).get(OUTBOX) or []
        if entries:
            published = await self._publish(collection, doc_id, entries)
            sole = None if reread else self._sole_write(key, noted)
            await self._remove(collection, doc_id, published, len(published) == len(entries), sole)
        if noted is not None and self._expected.get(key) is noted:
            del self._expected[key]

    async def flush_inserted(
        self, collection: AsyncCollection, outboxes: Mapping[Any, list[dict]]
    ) -> None:
        """Publish the outboxes of documents just inserted with them, then empty them together.

        Only for documents nothing else writes to once inserted (a timer's claim): each is
        emptied by `_id` alone, without checking what it holds, in one write per `BULK_LIMIT`
        documents. The documents publish concurrently, each one's entries in order and all
        with confirms, so a batch waits for about one confirm rather than one per event. A
        document whose publish failed is left to `retry_failed`, as after `flush`.
        """
        complete = await asyncio.gather(
            *(
                self._publish_inserted(collection, doc_id, entries)
                for doc_id, entries in outboxes.items()
            )
        )
        emptied = [doc_id for doc_id, done in zip(outboxes, complete, strict=True) if done]
        for chunk in batches(emptied):
            await collection.bulk_write(
                [UpdateOne({"_id": d}, EMPTIED) for d in chunk], ordered=False
            )
            for doc_id in chunk:
                self._expected.pop((collection.name, doc_id), None)

    async def _publish_inserted(
        self, collection: AsyncCollection, doc_id: Any, entries: list[dict]
    ) -> bool:
        """Publish one inserted document's outbox; True if it is all out and may be emptied."""
        if (collection.name, doc_id) in self._failed:
            await self.flush(collection, doc_id, entries)
            return False
        published = await self._publish(collection, doc_id, entries)
        if len(published) == len(entries):
            return True
        await self._remove(collection, doc_id, published, all_published=False)
        return False

    async def _publish(
        self, collection: AsyncCollection, doc_id: Any, entries: list[dict]
    ) -> list[dict]:
        """Publish entries in order, each confirmed; those published, all unless one failed."""
        published: list[dict] = []
        try:
            for entry in entries:
                await self.bus.publish(Envelope.model_validate_json(entry["body"]))
                published.append(entry)
        except Exception:
            log.warning("outbox publish failed for %s; will retry", doc_id, exc_info=True)
            self._failed[(collection.name, doc_id)] = collection
        else:
            self._failed.pop((collection.name, doc_id), None)
        return published

    def _sole_write(self, key: tuple[str, Any], noted: Any) -> Callable[[], bool] | None:
        """Whether, asked at the emptying's turn, the outbox still holds only the entries of
        the one write this flush follows; None where this process cannot know it. (The
        store layer asks only in a process alone on FerretDB.)"""
        if noted is None or not self._swept_at_start or key[0] not in self.tracked:
            return None
        return lambda: (
            self._expected.get(key) is noted
            and key not in self._overlapped
            and key not in self._failed
        )

    async def _remove(
        self,
        collection: AsyncCollection,
        doc_id: Any,
        published: list[dict],
        all_published: bool,
        sole: Callable[[], bool] | None = None,
    ) -> None:
        """Take published entries out of the outbox; clear `outbox_since` once it is empty."""
        if all_published:
            # Usually the outbox holds exactly what was just published: one write empties it.
            with vouched_for(sole) if sole else contextlib.nullcontext():
                result = await collection.update_one({"_id": doc_id, OUTBOX: published}, EMPTIED)
            if result.matched_count:
                return
        if published:
            await collection.update_one({"_id": doc_id}, {"$pullAll": {OUTBOX: published}})
            await collection.update_one({"_id": doc_id, OUTBOX: []}, {"$unset": {OUTBOX_SINCE: ""}})

    async def retry_failed(self) -> None:
        """Publish again what a failed publish left, and what was written but not flushed
        for longer than the grace period, looking documents up by `_id` only."""
        for (_, doc_id), collection in list(self._failed.items()):
            doc = await collection.find_one({"_id": doc_id}, {OUTBOX: 1})
            if doc is None:
                self._failed.pop((collection.name, doc_id), None)
                continue
            await self.flush(collection, doc_id, doc.get(OUTBOX) or [])
        cutoff = self.clock.now() - self.grace
        for key, (collection, since) in list(self._expected.items()):
            if since < cutoff and key not in self._failed:
                await self._left_behind(collection, key[1])

    async def _left_behind(self, collection: AsyncCollection, doc_id: Any) -> int:
        """Prepare and flush a document that may hold entries nobody flushed; how many."""
        prepare = self._prepare.get(collection.name)
        if prepare is not None:
            try:
                await prepare(doc_id)
            except Exception:
                # Noted for a later poll: its entries wait for what prepare does.
                log.warning("outbox prepare failed for %s; will retry", doc_id, exc_info=True)
                self.expect(collection, doc_id)
                return 0
        doc = await collection.find_one({"_id": doc_id}, {OUTBOX: 1})
        entries = (doc or {}).get(OUTBOX) or []
        await self.flush(collection, doc_id, entries)
        return len(entries)

    async def sweep(self) -> int:
        """Publish whatever stayed in any outbox since before this process started, or
        longer than the grace period; every such document, in one pass."""
        count = await self._sweep(self.collections, self._cutoff(), limit=0)
        self._swept_at_start = True
        return count

    async def sweep_untracked(self) -> int:
        """The periodic sweep: collections not tracked (all of them, unless tracked ones are
        swept at start only), at most 500 documents each."""
        skipped = self.tracked if self.sweep_tracked_at_start_only else frozenset()
        untracked = [c for c in self.collections if c.name not in skipped]
        return await self._sweep(untracked, self.clock.now() - self.grace, limit=500)

    def _cutoff(self) -> datetime:
        # What this process wrote itself it tracks; anything older is a predecessor's.
        return max(self.started_at, self.clock.now() - self.grace)

    async def _sweep(self, collections: list[AsyncCollection], cutoff: datetime, limit: int) -> int:
        count = 0
        for collection in collections:
            cursor = collection.find({OUTBOX_SINCE: {"$lt": cutoff}}, {OUTBOX: 1}).limit(limit)
            async for doc in cursor:
                if collection.name in self._prepare:
                    count += await self._left_behind(collection, doc["_id"])
                    continue
                entries = doc.get(OUTBOX) or []
                await self.flush(collection, doc["_id"], entries)
                count += len(entries)
        return count

    def schedule(self, scheduler: Scheduler) -> None:
        """Retry failed and unflushed publishes every poll; sweep every collection at start,
        and those not tracked again every `sweep_seconds`."""
        scheduler.every("outbox-retry", self.poll_seconds, self.retry_failed)
        scheduler.at("outbox-start-sweep", self.clock.now(), self.sweep)
        if self.collections:
            every = self.sweep_seconds
            scheduler.every("outbox-sweep", every, self.sweep_untracked, first_in=every)


def outbox_additions(method: str, args: tuple, kwargs: dict) -> list[Any]:
    """The `_id`s of the documents a store write puts outbox entries into: inserts of
    documents holding entries, and updates or replacements by `_id` that push entries or set
    a non-empty outbox (bulk writes' requests included). What the relay is told of (`expect`)."""
    first = args[0] if args else None
    if method == "insert_one":
        return _ids_holding([first if first is not None else kwargs.get("document")])
    if method == "insert_many":
        return _ids_holding(first if first is not None else kwargs.get("documents", []))
    if method in ("update_one", "find_one_and_update", "replace_one", "find_one_and_replace"):
        query = first if first is not None else kwargs.get("filter")
        change = args[1] if len(args) > 1 else kwargs.get("update", kwargs.get("replacement"))
        return _id_if_added(query, change, replaces="replace" in method)
    if method == "bulk_write":
        requests = first if first is not None else kwargs.get("requests", [])
        ids: list[Any] = []
        for request in requests:
            query, change = getattr(request, "_filter", None), getattr(request, "_doc", None)
            if query is None:
                ids += _ids_holding([change])
            else:
                ids += _id_if_added(query, change, replaces=type(request).__name__ == "ReplaceOne")
        return ids
    return []


def _ids_holding(docs: Iterable[Any]) -> list[Any]:
    return [
        doc["_id"] for doc in docs if isinstance(doc, dict) and doc.get(OUTBOX) and "_id" in doc
    ]


def _id_if_added(query: Any, change: Any, *, replaces: bool) -> list[Any]:
    if not isinstance(query, dict) or not isinstance(change, dict):
        return []
    doc_id = query.get("_id")
    if doc_id is None or isinstance(doc_id, dict):
        return []
    if replaces:
        added = bool(change.get(OUTBOX))
    else:
        pushed, set_ = change.get("$push") or {}, change.get("$set") or {}
        added = OUTBOX in pushed or bool(set_.get(OUTBOX))
    return [doc_id] if added else []


def index_models() -> list[IndexModel]:
    return [IndexModel([(OUTBOX_SINCE, 1)], sparse=True, name="outbox_since")]
