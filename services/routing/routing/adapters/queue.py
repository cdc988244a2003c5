"""The queue of tickets waiting for an agent, in service order, one entry per ticket."""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.adapters.outboxes import publish_then_delete
from routing.adapters.tickets import DUE_RANK, ticket_fields, ticket_of
from routing.domain import Agent, QueueEntry, RoutingTicket, SkillRequirement
from routing.domain.tickets import MOVED_UP, NO_DUE
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, Priority
from ticketflow_shared.serialized import lone_on_ferretdb
from ticketflow_shared.vouching import vouched_for

Lane = tuple[SkillRequirement, str | None]
QueueHook = Callable[[RoutingTicket, datetime], Awaitable[None]]
"""What else happens when a ticket leaves the queue (with its queue time)."""
EnterHook = Callable[[RoutingTicket, datetime, bool], Awaitable[None]]
"""What else happens when a ticket enters the queue (with its queue time, and whether the
ticket is new to routing)."""
HELD_EVENTS = "held_events"  # a queue entry's ticket.queued until it is announced
FRESH_LIMIT = 4096
SERVICE_ORDER = [("priority_rank", 1), (DUE_RANK, 1), ("created_at", 1), ("_id", 1)]


def _queue_filter(skill: str | None, departments: Collection[str] | None) -> dict[str, Any]:
    query: dict[str, Any] = {} if skill is None else {"required_skill": skill}
    if departments is not None:
        query["department"] = {"$in": sorted(departments)}
    return query


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
            **ticket_fields(ticket),
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
        return QueueEntry(ticket_of(doc), doc["queued_at"]) if doc else None

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
            await self.on_leave(ticket_of(doc), doc["queued_at"])
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
        return [QueueEntry(ticket_of(doc), doc["queued_at"]) async for doc in cursor]

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
        return [QueueEntry(ticket_of(doc), doc["queued_at"]) async for doc in cursor]

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
