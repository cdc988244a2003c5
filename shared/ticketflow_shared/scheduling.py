"""A process's background work: periodic jobs and one-shot timers, on an injectable clock.

Written here rather than taken from a library: APScheduler 4, the asyncio version, is a
pre-release its authors say not to run in production; APScheduler 3 reads the wall clock
and waits on the event loop's timers, and aiojobs only spawns and closes jobs (it has no
schedules), so neither lets a test move time. What we need fits in one small module: a
task per job that sleeps on the `Clock`, runs the job, logs a failure and sleeps again.

- A periodic job (`every`) waits `seconds` from the end of one run to the start of the next,
  like the loops it replaced: runs of one job never overlap, and a slow run (a big queue on
  FerretDB) is followed by a pause rather than by the next run at once. Jobs run
  concurrently with each other.
- A timer (`at`) runs once at a given time. Timers live in memory and are dropped at
  `stop`: what must survive a restart is kept in the store and armed again from there.
- A run that raises is logged, and a periodic job runs again next time.
- `stop` cancels what waits and gives runs under way `grace_seconds` on the clock to finish.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from ticketflow_shared.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


@dataclass(eq=False)
class _Entry:
    name: str
    job: Job
    every: float | None = None  # seconds between runs; None for a one-shot timer
    first_in: float = 0.0
    when: datetime | None = None  # a timer's time
    running: bool = False


class Scheduler:
    def __init__(self, clock: Clock = SYSTEM_CLOCK, grace_seconds: float = 5.0) -> None:
        self.clock = clock
        self.grace_seconds = grace_seconds
        self._entries: dict[str, _Entry] = {}
        self._tasks: dict[asyncio.Task[None], _Entry] = {}
        self._started = False

    def every(self, name: str, seconds: float, job: Job, *, first_in: float = 0.0) -> None:
        """Run `job` `first_in` seconds after start, then `seconds` after each run ends."""
        if seconds <= 0:
            raise ValueError(f"{name}: a periodic job needs a positive interval")
        self._add(_Entry(name, job, every=seconds, first_in=first_in))

    def at(self, name: str, when: datetime, job: Job) -> None:
        """Run `job` once at `when` (at once if that has passed); the name is free again after."""
        self._add(_Entry(name, job, when=when))

    def cancel(self, name: str) -> bool:
        """Drop a job or timer so that it runs no more; False if none has that name.

        A run under way is left to finish: a job may cancel itself, and waiting here for it
        would then never end.
        """
        entry = self._entries.pop(name, None)
        if entry is None:
            return False
        for task, of in self._tasks.items():
            if of is entry and not entry.running:
                task.cancel()
        return True

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        for entry in self._entries.values():
            self._spawn(entry)

    async def stop(self) -> None:
        """Cancel what waits, give runs under way the grace period, then cancel those too.

        Periodic jobs stay registered for a later `start`; pending timers are dropped.
        """
        self._started = False
        self._entries = {name: e for name, e in self._entries.items() if e.every is not None}
        tasks = dict(self._tasks)
        busy = [task for task, entry in tasks.items() if entry.running]
        for task, entry in tasks.items():
            if not entry.running:
                task.cancel()
        await self._grace(busy)
        await asyncio.gather(*tasks, return_exceptions=True)

    def _add(self, entry: _Entry) -> None:
        if entry.name in self._entries:
            raise ValueError(f"a job named {entry.name!r} is scheduled already")
        self._entries[entry.name] = entry
        if self._started:
            self._spawn(entry)

    def _spawn(self, entry: _Entry) -> None:
        task = asyncio.create_task(self._drive(entry), name=f"scheduled:{entry.name}")
        self._tasks[task] = entry
        task.add_done_callback(self._tasks.pop)

    def _wanted(self, entry: _Entry) -> bool:
        return self._started and self._entries.get(entry.name) is entry

    async def _drive(self, entry: _Entry) -> None:
        if entry.when is not None:
            await self.clock.sleep((entry.when - self.clock.now()).total_seconds())
        else:
            await self.clock.sleep(entry.first_in)
        while self._wanted(entry):
            await self._run(entry)
            if entry.every is None:
                if self._entries.get(entry.name) is entry:
                    del self._entries[entry.name]
                return
            if self._wanted(entry):  # not stopped or cancelled during the run
                await self.clock.sleep(entry.every)

    async def _run(self, entry: _Entry) -> None:
        entry.running = True
        try:
            await entry.job()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            # Raised inside the job (a library's internal timeout), not a stop: a failure.
            log.warning("scheduled job %s was cancelled from within", entry.name, exc_info=True)
        except Exception:
            log.warning("scheduled job %s failed", entry.name, exc_info=True)
        finally:
            entry.running = False

    async def _grace(self, busy: list[asyncio.Task[None]]) -> None:
        """Wait for `busy` runs to finish, for at most `grace_seconds`; cancel what is left."""
        if not busy:
            return
        pending = set(busy)
        grace = asyncio.ensure_future(self.clock.sleep(self.grace_seconds))
        try:
            while pending and not grace.done():
                done, _ = await asyncio.wait({*pending, grace}, return_when=asyncio.FIRST_COMPLETED)
                pending -= done
        finally:
            grace.cancel()
        for task in pending:
            log.warning(
                "%s still running after %.1f s; cancelling it", task.get_name(), self.grace_seconds
            )
            task.cancel()
