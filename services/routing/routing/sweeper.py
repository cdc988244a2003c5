"""Background safety net: retries the queue and finishes routing that a crash cut short.

Wake-ups (a ticket queued, an agent freed) already assign at once; the sweep catches the
few that race past each other, claims whose claimer died before announcing them, slots still
held for resolved tickets (their release could not publish), and tickets whose first routing
never completed. The queue is small and retried every `sweep_seconds`; the stale passes run
once per `stale_after` (on a lone FerretDB process they read no whole collection once caught
up, see `MongoTickets`). Both are jobs on the
process's scheduler, which logs a failed run and runs it again next time.
"""

from datetime import timedelta

from routing import assigning
from routing.ports import Stores
from ticketflow_shared.scheduling import Scheduler

QUEUE_RETRY, STALE_PASS = "routing-queue-retry", "routing-stale-pass"


class Sweeper:
    def __init__(
        self, stores: Stores, every_seconds: float, stale_after_seconds: float, batch: int
    ) -> None:
        self.stores = stores
        self.every_seconds = every_seconds
        self.stale_after = timedelta(seconds=stale_after_seconds)
        self.batch = batch

    async def retry_queue(self) -> None:
        await assigning.retry_queue(self.stores, self.batch)

    async def stale_pass(self) -> None:
        await assigning.announce_stale(self.stores, self.stale_after, self.batch)
        await assigning.release_resolved(self.stores, self.batch)
        await assigning.route_stale(self.stores, self.stale_after, self.batch)

    def schedule(self, scheduler: Scheduler) -> None:
        """Both run at once, then the queue every `every_seconds`, the rest per `stale_after`."""
        scheduler.every(QUEUE_RETRY, self.every_seconds, self.retry_queue)
        scheduler.every(STALE_PASS, self.stale_after.total_seconds(), self.stale_pass)

    def unschedule(self, scheduler: Scheduler) -> None:
        scheduler.cancel(QUEUE_RETRY)
        scheduler.cancel(STALE_PASS)
