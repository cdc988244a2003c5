"""Test doubles that every service's tests share."""

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

START = datetime(2025, 1, 1, tzinfo=UTC)
# Loop turns that let woken coroutines run to their next real wait. In-memory fakes finish
# in a handful; a job waiting on real I/O needs the test to poll for its result instead.
SETTLE_TURNS = 20


class FakeClock:
    """A `Clock` that stands still until a test moves it.

    `advance` jumps: time moves at once, and the sleepers it passes wake at the next await.
    `run_for` lets time pass with the loop running: it stops at each sleeper's deadline and
    lets what wakes there run, so a job sleeping 2 s between runs wakes five times in
    `run_for(10)`; `run_for(0)` only lets woken coroutines run. With a `tick`, every reading
    of `now` moves time on by that much afterwards, for tests that want distinct timestamps.
    """

    def __init__(self, start: datetime = START, tick: timedelta = timedelta(0)) -> None:
        if start.tzinfo is None:
            raise ValueError("a FakeClock starts at a timezone-aware time")
        self._now = start.astimezone(UTC)
        self.tick = tick
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # equal deadlines wake in the order they slept

    def now(self) -> datetime:
        now = self._now
        self._now += self.tick
        return now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake = asyncio.get_running_loop().create_future()
        deadline = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._order), wake))
        await wake

    @property
    def sleepers(self) -> int:
        """How many coroutines wait on this clock now."""
        return sum(not wake.done() for _, _, wake in self._sleepers)

    def advance(self, by: timedelta | float) -> None:
        self._now += _delta(by)
        self._wake_due()

    async def run_for(self, by: timedelta | float) -> None:
        until = self._now + _delta(by)
        await _settle()
        while (deadline := self._next_deadline()) is not None and deadline <= until:
            self._now = max(self._now, deadline)
            self._wake_due()
            await _settle()
        self._now = max(self._now, until)
        self._wake_due()
        await _settle()

    def _next_deadline(self) -> datetime | None:
        while self._sleepers and self._sleepers[0][2].done():  # cancelled while asleep
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, wake = heapq.heappop(self._sleepers)
            if not wake.done():
                wake.set_result(None)


def _delta(by: timedelta | float) -> timedelta:
    delta = by if isinstance(by, timedelta) else timedelta(seconds=by)
    if delta < timedelta(0):
        raise ValueError("time only moves forward")
    return delta


async def _settle() -> None:
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)
