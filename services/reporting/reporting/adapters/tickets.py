"""The `tickets` read model in MongoDB: one document per ticket, guarded updates per event.

A producer's newer word is one update whose filter misses a row holding that producer's mark
at or above the event's sequence; a repeat or a late event finds the filter missing and
keeps only its facts (see `reporting.domain.tickets`, which these updates mirror).
"""

from datetime import datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reporting.adapters.row_marks import RowMarks, guard_passes
from reporting.domain.changes import (
    APPLIED_FACTS,
    NOTIFIED,
    TicketChange,
    applied_sequence,
    marks_after,
    marks_of,
)
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import is_newer
from ticketflow_shared.serialized import lone_on_ferretdb
from ticketflow_shared.vouching import vouched_for

TICKETS = "tickets"
INTAKE = "intake"
INDEXES = {TICKETS: [IndexModel([("created_at", 1)], name="created_at")]}
# A clash on a row that should take the event can only come from another event creating the
# same row at the same instant, so the second attempt finds the row; the third is caution.
UPSERT_ATTEMPTS = 3
# Id lists a row may hold that no report reads: notifications and intake facts counted, and
# the event ids of rows written before sequences.
_LIST_PROJECTION = {NOTIFIED: 0, APPLIED_FACTS: 0, "applied_events": 0}
_MARKS_PROJECTION = {"streams": 1, NOTIFIED: 1, APPLIED_FACTS: 1}


class MongoTicketRows:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[TICKETS]
        self.marks = RowMarks()

    async def apply(self, change: TicketChange) -> bool:
        if not lone_on_ferretdb(self.collection):
            return await self._apply_guarded(change)
        async with self.marks.one_at_a_time(change.ticket_id):
            return await self._apply_known(change)

    async def _apply_guarded(self, change: TicketChange) -> bool:
        if change.once is not None:
            return await self._apply_once(change)
        return await self._apply_in_order(change)

    async def _apply_known(self, change: TicketChange) -> bool:
        """On a lone FerretDB process: the guard checked against the row's marks, read once
        and then kept from this process's own writes; one write per event after that."""
        marks = self.marks.get(change.ticket_id)
        if marks is None and _opens_row(change) and await self._insert_new_row(change):
            return True
        if marks is None:
            doc = await self.collection.find_one({"_id": change.ticket_id}, _MARKS_PROJECTION)
            marks = marks_of(doc)
            self.marks.learn(change.ticket_id, marks)
        if not guard_passes(marks, change):
            if change.once is not None:
                return False
            await self.collection.update_one(
                {"_id": change.ticket_id}, _operators(change, news=False)
            )
            return False
        known = self.marks.get
        try:
            with vouched_for(
                lambda: (m := known(change.ticket_id)) is not None and guard_passes(m, change)
            ):
                moved = await self._apply_guarded(change)
        except BaseException:
            self.marks.forget(change.ticket_id)
            raise
        if moved:
            self.marks.applied(change)
        else:
            self.marks.forget(change.ticket_id)
        return moved

    async def _insert_new_row(self, change: TicketChange) -> bool:
        """The row as the guarded upsert would make it on no row, inserted; False if a row
        is there already (an event of the ticket's that came first)."""
        try:
            await self.collection.insert_one(
                _upserted(change.ticket_id, _operators(change, news=True))
            )
        except DuplicateKeyError:
            return False
        self.marks.learn(change.ticket_id, marks_after(marks_of(None), change))
        return True

    async def get(self, ticket_id: str) -> TicketRow | None:
        doc = await self.collection.find_one({"_id": ticket_id}, _LIST_PROJECTION)
        return _row(doc) if doc is not None else None

    async def list(self, since: datetime | None = None) -> list[TicketRow]:
        """Rows created since `since`, for KPIs computed in Python (FerretDB has no $percentile)."""
        query = {"created_at": {"$gte": since}} if since is not None else {}
        cursor = self.collection.find(query, _LIST_PROJECTION)
        return [_row(doc) async for doc in cursor]

    async def _apply_in_order(self, change: TicketChange) -> bool:
        """The producer's word if newer than its mark; else only the facts. True if newer."""
        mark = f"streams.{change.producer}.sequence"
        news = _operators(change, news=True)
        # Below the mark or no mark yet (`$not` matches a missing field), upserted: one write
        # applies the event to a new row, to a row without this producer's word yet and to
        # one holding an older word. A row at or above the sequence makes the upsert clash.
        if change.sequence is not None:
            guarded = {"_id": change.ticket_id, mark: {"$not": {"$gte": change.sequence}}}
        else:
            guarded = {"_id": change.ticket_id, mark: {"$exists": False}}
        for _ in range(UPSERT_ATTEMPTS):
            try:
                await self.collection.update_one(guarded, news, upsert=True)
                return True
            except DuplicateKeyError:
                pass  # the row holds a newer word, or another event created it just now
            doc = await self.collection.find_one({"_id": change.ticket_id}, {"streams": 1})
            if doc is not None and not is_newer(
                change.sequence, applied_sequence(doc, change.producer)
            ):
                break
        await self.collection.update_one({"_id": change.ticket_id}, _operators(change, news=False))
        return False

    async def _apply_once(self, change: TicketChange) -> bool:
        """One guarded upsert: the filter misses a row that took this change already."""
        guard = {"_id": change.ticket_id, change.once_in: {"$ne": change.once}}
        update = _operators(change, news=True)
        for _ in range(UPSERT_ATTEMPTS):
            try:
                await self.collection.update_one(guard, update, upsert=True)
                return True
            except DuplicateKeyError:
                # The row exists and the guard missed it: taken already, or created just now
                # by another event for this ticket, in which case the next try matches.
                taken = {"_id": change.ticket_id, change.once_in: change.once}
                if await self.collection.find_one(taken, {"_id": 1}):
                    return False
        raise RuntimeError(f"could not apply {change.once} to {change.ticket_id}")


def _operators(change: TicketChange, *, news: bool) -> dict[str, Any]:
    """The Mongo form of `reporting.domain.tickets.apply_change`, for news or facts only."""
    facts = dict(change.facts)
    members = dict(change.members)
    counts: dict[str, int] = {}
    if news:
        if change.stream_state is not None:
            facts[f"streams.{change.producer}"] = change.stream_state
        if change.once is not None:
            members[change.once_in] = change.once
        counts.update(change.counts)
        counts["events_applied"] = 1
    operators = {
        "$set": facts,
        "$min": dict(change.earliest),
        "$max": dict(change.latest),
        "$addToSet": members,
        "$inc": counts,
    }
    return {operator: fields for operator, fields in operators.items() if fields}


def _row(doc: dict[str, Any]) -> TicketRow:
    return TicketRow.model_validate({**doc, "ticket_id": doc["_id"]})


def _opens_row(change: TicketChange) -> bool:
    """Whether `change` is most likely a ticket's first event: intake's word at version 1."""
    return change.producer == INTAKE and change.sequence == 1 and change.once is None


def _upserted(doc_id: str, operators: dict[str, Any]) -> dict[str, Any]:
    """The document an upsert with `operators` inserts when its filter finds none (its filter
    adding no field: conditions only), as the server builds it."""
    doc: dict[str, Any] = {"_id": doc_id}
    for operator, fields in operators.items():
        for path, value in fields.items():
            if operator == "$addToSet":
                value = (
                    list(value["$each"])
                    if isinstance(value, dict) and "$each" in value
                    else [value]
                )
            elif operator not in ("$set", "$min", "$max", "$inc"):
                raise ValueError(f"no insert form for {operator}")
            *parents, name = path.split(".")
            place = doc
            for parent in parents:
                place = place.setdefault(parent, {})
            place[name] = value
    return doc
