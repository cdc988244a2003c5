"""Background safety net: retries the queue and finishes routing that a crash cut short.

Wake-ups (a ticket queued, an agent freed) already assign at once; the sweep catches the
few that race past each other, claims whose claimer died before announcing them, slots still
held for resolved tickets (their release could not publish), and tickets whose first routing
never completed. The queue is small and retried every tick;
the stale passes read whole collections on FerretDB, so they run once per `stale_after`.
"""

import asyncio
import logging
from datetime import timedelta

from routing import assigning
from routing.ports import Stores

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(
        self, stores: Stores, every_seconds: float, stale_after_seconds: float, batch: int
    ) -> None:
        self.stores = stores
        self.every_seconds = every_seconds
        self.stale_after = timedelta(seconds=stale_after_seconds)
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    async def sweep(self, include_stale: bool = True) -> None:
        await assigning.retry_queue(self.stores, self.batch)
        if include_stale:
            await assigning.announce_stale(self.stores, self.stale_after, self.batch)
            await assigning.release_resolved(self.stores, self.batch)
            await assigning.route_stale(self.stores, self.stale_after, self.batch)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_stale_pass = loop.time()
        while True:
            try:
                stale_pass = loop.time() >= next_stale_pass
                if stale_pass:
                    next_stale_pass = loop.time() + self.stale_after.total_seconds()
                await self.sweep(include_stale=stale_pass)
            except Exception:  # a failed sweep is retried on the next tick
                log.warning("routing sweep failed", exc_info=True)
            await asyncio.sleep(self.every_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="routing-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
