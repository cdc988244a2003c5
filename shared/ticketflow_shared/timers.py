"""Durable due timers: kept in the store, armed in memory, fired exactly once.

A timer is one document (`_id` its key, `due` its time, `data` for the caller). The process
that schedules one arms it on its `Scheduler`; every process polls the store every
`poll_seconds` (or less often while a poll is slow: `poll`) for timers due within
`horizon_seconds` and arms those, with the due time and data the poll read, so a timer
survives a restart and any live process fires it. On firing, `check` re-reads what the timer
is about and returns the events it owes now (None: nothing, the timer is stale); it decides
alone, since the timer's own document is not read again (it could change after any read, up
to the claim, in any case). The firing is claimed by inserting a document under the
timer's key into the firings collection, with the events in its outbox: FerretDB makes no
conditional update atomic across processes (so a lease set by `update_many` could be taken
by two processes at once), but an insert under a unique `_id` is, so of two processes racing
exactly one inserts and publishes. The firings collection belongs in the outbox relay's
sweep, for a crash after the claim: the events are in the claim, and the timer, if still
stored, is forgotten by the next firing, which finds the claim taken.

Timers coming due together fire in batches of up to `batch_size`, with only `_id` lookups
(FerretDB 1.x answers nothing else from an index): `check` per timer, one `insert_many`
(unordered) of their claims, whose duplicate-key errors name the timers another process won,
and `claimed` per timer; that is all a batch waits for before the next one is claimed. Its
settling follows on its own: `flush` publishes the claims' outboxes and empties them while
one `bulk_write` deletes the claimed timers by `_id` (a claimed key never fires again, so no
version of it is worth keeping, and the claims hold the events); a stale timer is deleted
only at the version armed, so one re-scheduled meanwhile stays. On FerretDB the claims'
insert goes ahead of the settling writes still queued. Every bulk call carries at most
`BULK_LIMIT` operations. The first armed timer to come due runs the batches, and those
coming due meanwhile join the next one, so a timer is not kept waiting for a fixed interval;
at most `settling` batches settle at once, after which claiming waits for one to finish.

With `keep_firings_seconds` set, claims whose events are out are deleted once their due time
is that old, a few by `_id` at a time so that claims are not kept waiting behind one long
write. The caller must then also record a firing itself (as `claimed` does for SLA clocks),
since a key scheduled again after its claim is gone would fire again.
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DeleteOne, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from ticketflow_shared.bulk import BULK_LIMIT, batches
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.events import Envelope
from ticketflow_shared.outbox import OUTBOX_SINCE, InsertedFlush, outbox_fields
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.serialized import ahead_of_queued_writes

log = logging.getLogger(__name__)
DUPLICATE_KEY = 11000
POLL_PACE = 9  # a poll is followed by none for this many times as long as it took
SETTLING = 4  # batches publishing and being forgotten at once, before claiming waits
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_CHUNKS = 200  # at most this many chunks of claims deleted per pass


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


@dataclass
class _Firing:
    """A batch claimed, with what is left to publish and to forget."""

    keys: set[str]
    fired: set[str] = field(default_factory=set)
    outboxes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    forget: list[str] = field(default_factory=list)  # claimed, by this process or another
    stale: list[Timer] = field(default_factory=list)


class DueTimers:
    def __init__(
        self,
        name: str,
        timers: AsyncCollection,
        firings: AsyncCollection,
        scheduler: Scheduler,
        check: Check,
        flush: InsertedFlush,
        *,
        claimed: Claimed | None = None,
        clock: Clock = SYSTEM_CLOCK,
        poll_seconds: float = 1.0,
        horizon_seconds: float = 5.0,
        batch_size: int = BULK_LIMIT,
        settling: int = SETTLING,
        keep_firings_seconds: float | None = None,
    ) -> None:
        self.name = name
        self.timers, self.firings = timers, firings
        self.scheduler, self.clock = scheduler, clock
        self.check, self.flush, self.claimed = check, flush, claimed
        self.poll_seconds, self.horizon = poll_seconds, timedelta(seconds=horizon_seconds)
        self.batch_size, self.settling = batch_size, settling
        self.keep_firings = (
            None if keep_firings_seconds is None else timedelta(seconds=keep_firings_seconds)
        )
        self.stats = TimerStats()
        self._pause = timedelta(0)  # before the next poll, for the last one's cost
        self._next_poll = datetime.min.replace(tzinfo=UTC)
        self._ready: dict[str, Timer] = {}  # due, waiting for the batch under way
        self._firing: set[str] = set()  # in the batches being claimed or settled
        # Claimed and deleted, cancelled or scheduled again lately: when each write was.
        self._gone: dict[str, datetime] = {}
        self._draining = False
        self._woken = asyncio.Event()  # more came due while the batches settle

    def start(self) -> None:
        """Poll the store on the scheduler from now on."""
        self.scheduler.every(f"{self.name}:poll", self.poll_seconds, self.poll)
        if self.keep_firings is not None:
            self.scheduler.every(
                f"{self.name}:prune", PRUNE_EVERY_SECONDS, self.prune_firings, first_in=60.0
            )

    async def prune_firings(self) -> int:
        """Delete the claims published and due longer ago than they are kept; how many."""
        if self.keep_firings is None:
            return 0
        settled = {"due": {"$lt": self.clock.now() - self.keep_firings}, OUTBOX_SINCE: None}
        deleted = 0
        for _ in range(PRUNE_CHUNKS):
            docs = await self.firings.find(settled, {"_id": 1}).limit(BULK_LIMIT).to_list()
            if not docs:
                break
            requests = [DeleteOne({"_id": doc["_id"]}) for doc in docs]
            deleted += (await self.firings.bulk_write(requests, ordered=False)).deleted_count
            if len(docs) < BULK_LIMIT:
                break
        return deleted

    async def schedule(self, key: str, due: datetime, data: dict[str, Any] | None = None) -> None:
        """Store the timer (replacing one of the same key) and arm it if it is due soon."""
        timer = Timer(key, stored_time(due), data or {})
        doc = {"due": timer.due, "data": timer.data}
        await self.timers.replace_one({"_id": key}, doc, upsert=True)
        self.stats.round_trips += 1
        self.scheduler.cancel(self._job(key))  # armed at its old time it would only be stale
        self._gone[key] = self.clock.now()  # a poll's read from before has the old one
        self._arm(timer, self.clock.now() + self._reach())

    async def cancel(self, key: str) -> None:
        await self.timers.delete_one({"_id": key})
        self.stats.round_trips += 1
        self._gone[key] = self.clock.now()  # a poll's read from before still has it
        self.scheduler.cancel(self._job(key))

    async def poll(self) -> int:
        """Arm every stored timer due before the next poll's horizon; how many were newly armed.

        On FerretDB the read scans the whole collection whatever its filter, so a poll is
        followed by none for `POLL_PACE` times as long as it took (scans then take a tenth of
        the time at most, and the firings the rest). It arms as far ahead as the horizon and
        the last pause, and the next poll comes before that is used up, so no timer comes due
        unarmed meanwhile. What it reads (due time and data) is what the timer fires with. A
        timer this process claimed and deleted while the read was under way is not armed
        again from it (its firing would only find the claim taken), nor one it cancelled or
        scheduled again meanwhile (the read may hold the old version; `schedule` armed the
        new one itself, and the next poll reads it).
        """
        started = self.clock.now()
        if started < self._next_poll:
            return 0
        until = started + self._reach()
        found = 0
        async for doc in self.timers.find({"due": {"$lte": until}}, {"due": 1, "data": 1}):
            if doc["_id"] not in self._gone:  # read before its last write here: out of date
                found += self._arm(Timer(doc["_id"], doc["due"], doc.get("data") or {}), until)
        finished = self.clock.now()
        # Deleted before now: no later poll reads them.
        self._gone = {key: when for key, when in self._gone.items() if when >= finished}
        self._pause = (finished - started) * POLL_PACE
        # Never later than what this poll armed allows, less a horizon for the next one's read.
        self._next_poll = min(finished + self._pause, until - self.horizon)
        self.stats.polls += 1
        self.stats.round_trips += 1
        self.stats.poll_seconds += (finished - started).total_seconds()
        return found

    def _reach(self) -> timedelta:
        """How far ahead to arm: the horizon, and the pause before the next poll."""
        return self.horizon + self._pause

    def _arm(self, timer: Timer, until: datetime) -> bool:
        job, key = self._job(timer.key), timer.key
        if job in self.scheduler or key in self._ready or key in self._firing or timer.due > until:
            return False
        self.scheduler.at(job, timer.due, lambda: self._due(timer))
        self.stats.armed += 1
        return True

    async def _due(self, timer: Timer) -> None:
        """An armed timer's time came: fire it with whatever else is due, in batches.

        The first timer due runs the batches; timers coming due meanwhile join the next one
        and return at once, so a burst of timers costs a few round trips per batch. A batch
        claimed settles (publishes, is forgotten) while the next ones are claimed, up to
        `settling` batches at once.
        """
        self._ready[timer.key] = timer
        self._woken.set()
        if self._draining:
            return
        self._draining = True
        settling: set[asyncio.Task[None]] = set()
        try:
            while self._ready or settling:
                if self._ready and len(settling) < self.settling:
                    batch = list(itertools.islice(self._ready.values(), self.batch_size))
                    for fired in batch:
                        del self._ready[fired.key]
                    firing = await self._claim_batch(batch)
                    if firing is not None:
                        settling.add(asyncio.create_task(self._settle_batch(firing)))
                    continue
                settling -= await self._next_settled(settling)
        except BaseException:
            # Stopped: still stored, armed again by a poll after a start; what was claimed
            # is published by the outbox sweep.
            for task in settling:
                task.cancel()
            self._ready.clear()
            self._firing.clear()
            raise
        finally:
            self._draining = False

    async def _next_settled(self, settling: set[asyncio.Task[None]]) -> set[asyncio.Task[None]]:
        """Wait for a batch to settle, or, with room for another, for more timers due."""
        waiting: set[asyncio.Future[Any]] = set(settling)
        woken = None
        if len(settling) < self.settling:
            self._woken.clear()
            woken = asyncio.ensure_future(self._woken.wait())
            waiting.add(woken)
        try:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if woken is not None:
                woken.cancel()
        return {task for task in done if task is not woken}

    async def _claim_batch(self, batch: list[Timer]) -> _Firing | None:
        self._firing.update(timer.key for timer in batch)
        try:
            return await self._claim_timers(batch)
        except Exception:
            # Still stored: the next poll arms these again.
            log.warning("%s: firing %d timers failed", self.name, len(batch), exc_info=True)
            self._firing.difference_update(timer.key for timer in batch)
            return None

    async def _settle_batch(self, firing: _Firing) -> None:
        try:
            published, forgotten = await asyncio.gather(
                self._publish(firing), self._forget(firing), return_exceptions=True
            )
            for failure, what in ((published, "publishing"), (forgotten, "forgetting")):
                if isinstance(failure, BaseException):
                    log.warning(
                        "%s: %s %d firings failed",
                        self.name,
                        what,
                        len(firing.keys),
                        exc_info=failure,
                    )
        finally:
            self._firing.difference_update(firing.keys)

    async def fire(self, key: str, due: datetime) -> bool:
        """Fire a timer if it is still stored with this due time; True if this process did."""
        return key in await self.fire_many({key: due})

    async def fire_many(self, due_times: dict[str, datetime]) -> set[str]:
        """Fire the timers still stored with these due times; the keys this process fired.

        The timers are read by `_id` one by one (FerretDB scans the whole collection for an
        `_id` `$in`), then claimed and settled as a batch of armed timers is.
        """
        firing = await self._claim_timers(await self._read(due_times))
        await self._publish(firing)
        await self._forget(firing)
        return firing.fired

    async def _claim_timers(self, timers: list[Timer]) -> _Firing:
        """Check and claim the timers; what is left to publish and to forget.

        A claimed timer is forgotten whoever claimed it: its events are in its claim, which
        the outbox sweep publishes should the claiming process stop before it does.
        """
        firing = _Firing(keys={timer.key for timer in timers})
        owed: list[tuple[Timer, list[Envelope], list[dict[str, str]]]] = []
        claims: list[dict[str, Any]] = []
        for timer in timers:
            envelopes = await self._checked(timer)
            if envelopes is None:
                continue  # the check failed: left stored, armed again by a poll
            if not envelopes:
                self.stats.stale += 1
                firing.stale.append(timer)
                continue
            fields, entries = outbox_fields(envelopes, self.clock.now())
            claims.append({"_id": timer.key, "due": timer.due, **fields})
            owed.append((timer, envelopes, entries))
        taken = await self._claim(claims)
        firing.forget = [claim["_id"] for claim in claims]
        for timer, envelopes, entries in owed:
            if timer.key in taken:
                self.stats.lost += 1
                continue
            self.stats.claimed += 1
            firing.fired.add(timer.key)
            try:
                if self.claimed is not None:
                    await self.claimed(timer, envelopes)
            except Exception:
                # Claimed: the outbox sweep publishes the firing.
                log.warning("%s: after claiming %s", self.name, timer.key, exc_info=True)
                continue
            firing.outboxes[timer.key] = entries
        return firing

    async def _checked(self, timer: Timer) -> list[Envelope] | None:
        """What `check` says the timer owes ([] for stale), or None when it failed."""
        try:
            return await self.check(timer) or []
        except Exception:
            log.warning("%s: checking timer %s failed", self.name, timer.key, exc_info=True)
            return None

    async def _publish(self, firing: _Firing) -> None:
        """Publish the claimed firings (a failure is the outbox sweep's to make good)."""
        if firing.outboxes:
            await self.flush(self.firings, firing.outboxes)

    async def _read(self, wanted: dict[str, datetime]) -> list[Timer]:
        """The timers still stored with the wanted due times, each read by its `_id` alone."""
        wanted = {key: stored_time(due) for key, due in wanted.items()}
        docs = await asyncio.gather(*(self.timers.find_one({"_id": key}) for key in wanted))
        self.stats.round_trips += len(wanted)
        return [
            Timer(doc["_id"], doc["due"], doc.get("data") or {})
            for doc in docs
            if doc is not None and doc["due"] == wanted[doc["_id"]]
        ]

    async def _claim(self, claims: list[dict[str, Any]]) -> set[str]:
        """Insert the firings; the keys whose firing another process claimed first."""
        taken: set[str] = set()
        for chunk in batches(claims):
            self.stats.round_trips += 1
            try:
                with ahead_of_queued_writes():
                    await self.firings.insert_many(chunk, ordered=False)
            except BulkWriteError as error:
                errors = error.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                taken.update(chunk[e["index"]]["_id"] for e in errors)
        return taken

    async def _forget(self, firing: _Firing) -> None:
        """Delete the claimed timers by `_id` alone (their claim stays, so any version of the
        key, even one re-scheduled meanwhile, would only find it taken), and the stale ones
        only at the version armed: one re-scheduled meanwhile (by `check`, say) stays."""
        for chunk in batches(firing.forget):
            await self.timers.bulk_write([DeleteOne({"_id": key}) for key in chunk], ordered=False)
            self.stats.round_trips += 1
            self._gone.update(dict.fromkeys(chunk, self.clock.now()))
        for timer in firing.stale:
            await self.timers.delete_one({"_id": timer.key, "due": timer.due})
            self.stats.round_trips += 1

    @staticmethod
    def _job(key: str) -> str:
        return f"timer:{key}"


def firings_index_models() -> list[IndexModel]:
    """What pruning the claims reads on MongoDB."""
    return [IndexModel([("due", ASCENDING)], name="due")]


def index_models() -> list[IndexModel]:
    """For MongoDB the poll then reads an index; FerretDB 1.x scans either way."""
    return [IndexModel([("due", ASCENDING)], name="due")]


def stored_time(value: datetime) -> datetime:
    """`value` as the store keeps it (milliseconds), so a read-back compares equal."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
