"""Tickets routing has seen, the queue of those waiting, and the resolved ones."""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.adapters.outboxes import publish_then_delete
from routing.domain import (
    Agent,
    QueueEntry,
    RoutingTicket,
    SkillRequirement,
    TicketRecord,
)
from routing.domain.tickets import MOVED_UP, NO_DUE
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, Position, Priority
from ticketflow_shared.serialized import lone_on_ferretdb
from ticketflow_shared.vouching import vouched_for

Lane = tuple[SkillRequirement, str | None]
QueueHook = Callable[[RoutingTicket, datetime], Awaitable[None]]
"""What else happens when a ticket leaves the queue (with its queue time)."""
EnterHook = Callable[[RoutingTicket, datetime, bool], Awaitable[None]]
"""What else happens when a ticket enters the queue (with its queue time, and whether the
ticket is new to routing)."""
HELD_EVENTS = "held_events"  # a queue entry's ticket.queued until it is announced
APPLIED = "applied"  # producer -> highest sequence of its events applied to the ticket
DUE_RANK = "due_rank"  # the SLA due time, MOVED_UP when moved to the front, else NO_DUE
FRESH_LIMIT = 4096
SERVICE_ORDER = [("priority_rank", 1), (DUE_RANK, 1), ("created_at", 1), ("_id", 1)]


def _ticket_fields(ticket: RoutingTicket) -> dict[str, Any]:
    return {
        "_id": ticket.ticket_id,
        "category": ticket.category,
        "priority": ticket.priority.value,
        "priority_rank": ticket.priority.rank,
        "created_at": ticket.created_at,
        "required_skill": ticket.requirement.skill,
        "min_level": ticket.requirement.min_level,
        "department": ticket.department,
        "created_by": ticket.created_by,
        "department_only": ticket.department_only,
        "released_by": ticket.released_by,
        "language": ticket.language,
    }


def _ticket(doc: dict[str, Any]) -> RoutingTicket:
    return RoutingTicket(
        ticket_id=doc["_id"],
        category=doc["category"],
        priority=Priority(doc["priority"]),
        created_at=doc["created_at"],
        requirement=SkillRequirement(doc["required_skill"], doc["min_level"]),
        department=doc.get("department"),
        created_by=doc.get("created_by"),
        department_only=bool(doc.get("department_only")),
        released_by=doc.get("released_by"),
        language=doc.get("language"),
        due_rank=doc.get(DUE_RANK),
    )


def _applying(position: Position | None) -> dict[str, Any]:
    """An update operator recording `position` as applied, never lowering what is there."""
    if position is None or position.sequence is None:
        return {}
    return {"$max": {f"{APPLIED}.{position.producer}": position.sequence}}


def _queue_filter(skill: str | None, departments: Collection[str] | None) -> dict[str, Any]:
    query: dict[str, Any] = {} if skill is None else {"required_skill": skill}
    if departments is not None:
        query["department"] = {"$in": sorted(departments)}
    return query


class MongoTickets:
    """Routing's record of each ticket. On a lone FerretDB process (`lone_on_ferretdb`) the
    tickets this process has yet to finish routing are also kept in memory: `unrouted` then
    reads the whole collection until it has all an earlier process left (one read, unless
    that was more than `limit`), and after that only those tickets by `_id`, so the stale
    pass costs the same however many tickets there are."""

    def __init__(self, collection: AsyncCollection, unwritten: Sequence[KnownAbsent] = ()) -> None:
        self.collection = collection
        self._unrouted: dict[str, datetime] = {}  # ticket id -> when routing received it
        self._read_all_once = False
        # Told of each ticket recorded here: only a ticket with a record is ever resolved or
        # queued, so a new record has neither.
        self._unwritten = unwritten

    async def add(
        self, ticket: RoutingTicket, now: datetime, position: Position | None = None
    ) -> bool:
        doc = {**_ticket_fields(ticket), "received_at": now, "routed": False}
        if position is not None and position.sequence is not None:
            doc[APPLIED] = {position.producer: position.sequence}
        self._unrouted[ticket.ticket_id] = now  # before the insert: a cut leaves the note
        marks = [(known, known.mark(ticket.ticket_id)) for known in self._unwritten]
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        for known, since in marks:
            known.note(ticket.ticket_id, since)
        return True

    async def get(self, ticket_id: str) -> RoutingTicket | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        return _ticket(doc) if doc else None

    async def record(self, ticket_id: str, producer: str) -> TicketRecord | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        if doc is None:
            return None
        applied = (doc.get(APPLIED) or {}).get(producer)
        return TicketRecord(_ticket(doc), bool(doc.get("routed")), applied)

    async def is_routed(self, ticket_id: str) -> bool:
        doc = await self.collection.find_one({"_id": ticket_id}, {"routed": 1})
        return bool(doc and doc.get("routed"))

    async def mark_routed(self, ticket_id: str, position: Position | None = None) -> None:
        update = {"$set": {"routed": True}, **_applying(position)}
        await self.collection.update_one({"_id": ticket_id}, update)
        self._unrouted.pop(ticket_id, None)

    async def advance(self, ticket_id: str, position: Position | None) -> None:
        if update := _applying(position):
            await self.collection.update_one({"_id": ticket_id}, update)

    async def revise(self, ticket: RoutingTicket) -> None:
        self._unrouted[ticket.ticket_id] = datetime.min.replace(tzinfo=UTC)  # received long ago
        fields = {k: v for k, v in _ticket_fields(ticket).items() if k != "_id"}
        await self.collection.update_one(
            {"_id": ticket.ticket_id}, {"$set": {**fields, "routed": False}}
        )

    async def reprioritize(
        self, ticket_id: str, priority: Priority, position: Position | None
    ) -> None:
        fields = {"priority": priority.value, "priority_rank": priority.rank}
        update = {"$set": fields, **_applying(position)}
        await self.collection.update_one({"_id": ticket_id}, update)

    async def unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]:
        if lone_on_ferretdb(self.collection) and self._read_all_once:
            return await self._noted_unrouted(received_before, limit)
        query = {"routed": False, "received_at": {"$lt": received_before}}
        cursor = self.collection.find(query).sort("received_at", 1).limit(limit)
        found = [_ticket(doc) async for doc in cursor]
        # Once a read comes back short, everything left before this process started is in hand.
        self._read_all_once = len(found) < limit
        return found

    async def _noted_unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]:
        due = sorted((at, ticket_id) for ticket_id, at in self._unrouted.items())
        ids = [ticket_id for at, ticket_id in due if at < received_before][:limit]
        docs = await asyncio.gather(*(self.collection.find_one({"_id": i}) for i in ids))
        stale = []
        for ticket_id, doc in zip(ids, docs, strict=True):
            if doc is None or doc.get("routed"):
                self._unrouted.pop(ticket_id, None)  # never inserted, or routed elsewhere
            else:
                stale.append(_ticket(doc))
        return stale

    async def next_version(self, ticket_id: str) -> int | None:
        # No projection: FerretDB 1.24 does not implement one on findAndModify.
        doc = await self.collection.find_one_and_update(
            {"_id": ticket_id}, {"$inc": {"version": 1}}, return_document=ReturnDocument.AFTER
        )
        return doc["version"] if doc else None


def _bound(known: OrderedDict) -> None:
    """Forget the oldest of what is kept beyond `FRESH_LIMIT` (forgotten: read again)."""
    while len(known) > FRESH_LIMIT:
        known.popitem(last=False)


class MongoQueue:
    """Queued tickets, by ticket id. A process alone on FerretDB knows which tickets are not
    queued (`KnownAbsent`): a new ticket's, and those it removed or found missing, until it
    queues them; it looks those up without a round trip."""

    def __init__(
        self,
        collection: AsyncCollection,
        publish: outbox.OutboxFlush,
        unqueued: KnownAbsent | None = None,
    ) -> None:
        self.collection = collection
        self.publish = publish
        self.unqueued = unqueued or KnownAbsent()
        # Per ticket, announces and removes begun (lately), and the count when this process
        # inserted the entry still unannounced, with its held events: an announce of them
        # with no other begun since may vouch for its filter (see `announce`).
        self._touched: OrderedDict[str, int] = OrderedDict()
        self._fresh: OrderedDict[str, tuple[int, list[dict]]] = OrderedDict()
        self.on_enter: EnterHook | None = None
        self.on_leave: QueueHook | None = None

    async def enqueue(
        self, ticket: RoutingTicket, events: list[Envelope], now: datetime, new: bool = False
    ) -> bool:
        # Its events wait outside the outbox (no sweep sees them) until `announce`.
        held = [outbox.outbox_entry(envelope) for envelope in events]
        doc = {
            **_ticket_fields(ticket),
            "queued_at": now,
            HELD_EVENTS: held,
            "sla_due": None,
            DUE_RANK: NO_DUE,
        }
        try:
            # The ticket id as _id: a ticket enters the queue, and is announced, only once.
            with self.unqueued.writing(ticket.ticket_id):
                await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        self._fresh[ticket.ticket_id] = (self._touched.get(ticket.ticket_id, 0), held)
        _bound(self._fresh)
        if self.on_enter is not None:
            await self.on_enter(ticket, now, new)
        return True

    async def announce(
        self, ticket_id: str, now: datetime, held: list[Envelope] | None = None
    ) -> None:
        fresh = self._fresh.pop(ticket_id, None)
        touches = self._touch(ticket_id)
        if held is not None:
            # Known from the caller's enqueue: the filter checks the entry still holds them,
            # rather than a read before the write.
            entries = [outbox.outbox_entry(envelope) for envelope in held]
            still_held: Any = entries
        else:
            doc = await self.collection.find_one({"_id": ticket_id}, {HELD_EVENTS: 1})
            entries = (doc or {}).get(HELD_EVENTS) or []
            still_held = {"$exists": True}
        if not entries:
            return  # gone (assigned meanwhile), or announced already

        def as_inserted() -> bool:
            """This process inserted the entry holding these events, and nothing but this
            announce has begun to take them or the entry since (asked at the write's turn)."""
            return (
                fresh is not None
                and fresh == (touches - 1, entries)
                and self._touched.get(ticket_id) == touches
            )

        # Alone on FerretDB, where this process sees every write of the queue, the layer may
        # then send the update by `_id` without reading the entry first.
        with vouched_for(as_inserted):
            result = await self.collection.update_one(
                {"_id": ticket_id, HELD_EVENTS: still_held},
                {
                    "$unset": {HELD_EVENTS: ""},
                    "$push": {outbox.OUTBOX: {"$each": entries}},
                    "$min": {outbox.OUTBOX_SINCE: now},
                },
            )
        if result.matched_count == 1:
            await self.publish(self.collection, ticket_id, entries)

    async def get(self, ticket_id: str) -> QueueEntry | None:
        doc = await self._find(ticket_id, {outbox.OUTBOX: 0, HELD_EVENTS: 0})
        return QueueEntry(_ticket(doc), doc["queued_at"]) if doc else None

    async def remove(self, ticket_id: str) -> bool:
        self._fresh.pop(ticket_id, None)
        self._touch(ticket_id)
        doc = await self._find(ticket_id)
        if doc is None:
            return False
        since = self.unqueued.mark(ticket_id)
        deleted = await publish_then_delete(self.collection, doc, self.publish)
        self.unqueued.note(ticket_id, since)  # gone, deleted here or before
        if not deleted:
            return False
        if self.on_leave is not None:
            await self.on_leave(_ticket(doc), doc["queued_at"])
        return True

    def _touch(self, ticket_id: str) -> int:
        """Count an announce or remove of `ticket_id` begun; the count now."""
        touches = self._touched[ticket_id] = self._touched.get(ticket_id, 0) + 1
        self._touched.move_to_end(ticket_id)
        _bound(self._touched)
        return touches

    async def _find(self, ticket_id: str, projection: Any = None) -> dict[str, Any] | None:
        """The entry, unless this process knows there is none."""
        lone = lone_on_ferretdb(self.collection)
        if lone and ticket_id in self.unqueued:
            return None
        since = self.unqueued.mark(ticket_id)
        doc = await self.collection.find_one({"_id": ticket_id}, projection)
        if doc is None and lone:
            self.unqueued.note(ticket_id, since)
        return doc

    async def waiting(
        self,
        limit: int,
        skill: str | None = None,
        excluding: Collection[Lane] = (),
        departments: Collection[str] | None = None,
    ) -> list[QueueEntry]:
        """In service order; only tickets of `departments` when given."""
        query = _queue_filter(skill, departments)
        if excluding:
            query["$nor"] = [
                {
                    "required_skill": requirement.skill,
                    "min_level": requirement.min_level,
                    "department": department,
                }
                for requirement, department in excluding
            ]
        cursor = self.collection.find(query, {outbox.OUTBOX: 0}).sort(SERVICE_ORDER).limit(limit)
        return [QueueEntry(_ticket(doc), doc["queued_at"]) async for doc in cursor]

    async def size(
        self, skill: str | None = None, departments: Collection[str] | None = None
    ) -> int:
        return await self.collection.count_documents(_queue_filter(skill, departments))

    async def waiting_for(self, agent: Agent, limit: int) -> list[QueueEntry]:
        if not agent.skills:
            return []
        takeable = [
            {"required_skill": skill, "min_level": {"$lte": level}}
            for skill, level in agent.skills.items()
        ]
        served = [{"department": agent.department}, {"department": None}]
        query = {"$and": [{"$or": takeable}, {"$or": served}]}
        cursor = self.collection.find(query, {outbox.OUTBOX: 0}).sort(SERVICE_ORDER).limit(limit)
        return [QueueEntry(_ticket(doc), doc["queued_at"]) async for doc in cursor]

    async def reprioritize(self, ticket_id: str, priority: Priority) -> bool:
        fields = {"priority": priority.value, "priority_rank": priority.rank}
        result = await self.collection.update_one({"_id": ticket_id}, {"$set": fields})
        return result.matched_count == 1

    async def set_sla_due(self, ticket_id: str, due: datetime | None) -> None:
        """Order a queued ticket by its SLA due time; one moved to the front stays there."""
        fields = {"sla_due": due, DUE_RANK: due or NO_DUE}
        result = await self.collection.update_one(
            {"_id": ticket_id, "moved_up": {"$ne": True}}, {"$set": fields}
        )
        if result.matched_count == 0:
            await self.collection.update_one({"_id": ticket_id}, {"$set": {"sla_due": due}})

    async def move_up(self, ticket_id: str) -> bool:
        """First within its priority (before the moved up later)."""
        result = await self.collection.update_one(
            {"_id": ticket_id, "moved_up": {"$ne": True}},
            {"$set": {"moved_up": True, DUE_RANK: MOVED_UP}},
        )
        return result.matched_count == 1

    async def set_requirement(self, category: str, requirement: SkillRequirement) -> int:
        result = await self.collection.update_many(
            {"category": category},
            {"$set": {"required_skill": requirement.skill, "min_level": requirement.min_level}},
        )
        return result.modified_count
