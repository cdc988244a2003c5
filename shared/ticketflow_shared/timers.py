"""Durable due timers: kept in the store, armed in memory, fired exactly once.

A timer is one document (`_id` its key, `due` its time, `data` for the caller). The process
that schedules one arms it on its `Scheduler`; every process polls the store every
`poll_seconds` for timers due within `horizon_seconds` and arms those, so a timer survives a
restart and any live process fires it. On firing, `check` re-reads what the timer is about
and returns the events it owes now (None: nothing, the timer is stale). The firing is
claimed by inserting a document under the timer's key into the firings collection, with the
events in its outbox: FerretDB makes no conditional update atomic across processes, but an
insert under a unique `_id` is, so of two processes racing exactly one inserts and publishes.
The firings collection belongs in the outbox relay's sweep, for a crash after the claim.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.events import Envelope
from ticketflow_shared.outbox import OutboxFlush, outbox_fields
from ticketflow_shared.scheduling import Scheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timer:
    key: str
    due: datetime
    data: dict[str, Any]


Check = Callable[[Timer], Awaitable[list[Envelope] | None]]
"""The events a timer owes when it fires, or None when it is stale."""
Claimed = Callable[[Timer, list[Envelope]], Awaitable[None]]
"""What the caller records once this process has claimed the firing."""


@dataclass
class TimerStats:
    polls: int = 0
    poll_seconds: float = 0.0
    armed: int = 0
    claimed: int = 0
    lost: int = 0
    stale: int = 0
    round_trips: int = 0


class DueTimers:
    def __init__(
        self,
        name: str,
        timers: AsyncCollection,
        firings: AsyncCollection,
        scheduler: Scheduler,
        check: Check,
        flush: OutboxFlush,
        *,
        claimed: Claimed | None = None,
        clock: Clock = SYSTEM_CLOCK,
        poll_seconds: float = 1.0,
        horizon_seconds: float = 5.0,
    ) -> None:
        self.name = name
        self.timers, self.firings = timers, firings
        self.scheduler, self.clock = scheduler, clock
        self.check, self.flush, self.claimed = check, flush, claimed
        self.poll_seconds, self.horizon = poll_seconds, timedelta(seconds=horizon_seconds)
        self.stats = TimerStats()

    def start(self) -> None:
        """Poll the store on the scheduler from now on."""
        self.scheduler.every(f"{self.name}:poll", self.poll_seconds, self.poll)

    async def schedule(self, key: str, due: datetime, data: dict[str, Any] | None = None) -> None:
        """Store the timer (replacing one of the same key) and arm it if it is due soon."""
        due = stored_time(due)
        doc = {"due": due, "data": data or {}}
        await self.timers.replace_one({"_id": key}, doc, upsert=True)
        self.stats.round_trips += 1
        self._arm(Timer(key, due, doc["data"]))

    async def cancel(self, key: str) -> None:
        await self.timers.delete_one({"_id": key})
        self.stats.round_trips += 1
        self.scheduler.cancel(self._job(key))

    async def poll(self) -> int:
        """Arm every stored timer due within the horizon; how many were newly armed."""
        started = self.clock.now()
        until = started + self.horizon
        found = 0
        async for doc in self.timers.find({"due": {"$lte": until}}):
            found += self._arm(Timer(doc["_id"], doc["due"], doc.get("data") or {}))
        self.stats.polls += 1
        self.stats.round_trips += 1
        self.stats.poll_seconds += (self.clock.now() - started).total_seconds()
        return found

    def _arm(self, timer: Timer) -> bool:
        job = self._job(timer.key)
        if job in self.scheduler or timer.due > self.clock.now() + self.horizon:
            return False
        self.scheduler.at(job, timer.due, lambda: self.fire(timer.key, timer.due))
        self.stats.armed += 1
        return True

    async def fire(self, key: str, due: datetime) -> bool:
        """Fire a timer if it is still stored with this due time; True if this process did."""
        due = stored_time(due)
        doc = await self.timers.find_one({"_id": key})
        self.stats.round_trips += 1
        if doc is None or doc["due"] != due:
            return False
        timer = Timer(key, due, doc.get("data") or {})
        envelopes = await self.check(timer)
        if not envelopes:
            self.stats.stale += 1
            await self._forget(key, due)
            return False
        fields, entries = outbox_fields(envelopes, self.clock.now())
        try:
            await self.firings.insert_one({"_id": key, "due": due, **fields})
        except DuplicateKeyError:
            self.stats.lost += 1
            await self._forget(key, due)
            return False
        self.stats.round_trips += 1
        self.stats.claimed += 1
        if self.claimed is not None:
            await self.claimed(timer, envelopes)
        await self.flush(self.firings, key, entries)
        await self._forget(key, due)
        return True

    async def _forget(self, key: str, due: datetime) -> None:
        # Only the version that fired: a timer re-scheduled meanwhile stays.
        await self.timers.delete_one({"_id": key, "due": due})
        self.stats.round_trips += 1

    @staticmethod
    def _job(key: str) -> str:
        return f"timer:{key}"


def index_models() -> list[IndexModel]:
    """For MongoDB the poll then reads an index; FerretDB 1.x scans either way."""
    return [IndexModel([("due", ASCENDING)], name="due")]


def stored_time(value: datetime) -> datetime:
    """`value` as the store keeps it (milliseconds), so a read-back compares equal."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
