"""What one service process holds while it runs: clock, scheduler, store, bus, inbox, outbox."""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared import outbox
from ticketflow_shared.bus import Bus, EventHandler
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import Envelope, Payload
from ticketflow_shared.metrics import STORE_COMMANDS
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.settings import ServiceSettings
from ticketflow_shared.store import Inbox, IndexSpec, ensure_indexes, mongo_client, ping

log = logging.getLogger(__name__)
READINESS_TIMEOUT_SECONDS = 1.0


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        indexes: IndexSpec,
        outbox_collections: Iterable[str] = (),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`outbox_collections`: those whose documents keep an outbox. Every write the store
        layer sends that adds to one is told to the relay first, so all are tracked (swept at
        start only on a lone FerretDB process, see `outbox.OutboxRelay`)."""
        self.settings = settings
        self.clock = clock
        # The process's one scheduler: the outbox relay's jobs and the service's own run on it.
        self.scheduler = Scheduler(clock)
        self.client = mongo_client(settings.mongo_url, settings.service_name)
        if settings.store_callsites and STORE_COMMANDS.callsites is None:
            STORE_COMMANDS.callsites = Counter()
        self.db = SerializedDatabase(
            self.client[settings.database_name],
            cross_process=settings.store_cross_process_locks,
            workarounds=settings.ferretdb_workarounds,
        )
        self.bus = Bus(
            settings.amqp_url,
            exchange=settings.exchange,
            namespace=settings.queue_namespace,
            prefetch=settings.prefetch,
            max_delivery_attempts=settings.max_delivery_attempts,
            retry_backoff_seconds=settings.retry_backoff_seconds,
            publish_timeout_seconds=settings.publish_timeout_seconds,
        )
        self.inbox = Inbox(self.db)
        self.indexes = dict(indexes)
        self.outbox_collections = list(outbox_collections)
        for name in self.outbox_collections:
            self.indexes[name] = [*self.indexes.get(name, []), *outbox.index_models()]
        self.relay = outbox.OutboxRelay(
            self.bus,
            [self.db[name] for name in self.outbox_collections],
            poll_seconds=settings.outbox_poll_seconds,
            sweep_seconds=settings.outbox_sweep_seconds,
            clock=clock,
            tracked=self.outbox_collections,
        )
        self.db.observe_writes(self.outbox_collections, self._note_outbox_write)
        if self.outbox_collections:
            self.relay.schedule(self.scheduler)

    def _note_outbox_write(
        self, collection: AsyncCollection, method: str, args: tuple, kwargs: dict
    ) -> None:
        for doc_id in outbox.outbox_additions(method, args, kwargs):
            self.relay.expect(collection, doc_id)

    async def start(self, attempts: int = 60) -> None:
        """Connect to store and broker, waiting for them while they come up."""
        await _retry("store", self.db.detect, attempts)
        # Only a lone FerretDB process may leave tracked outboxes to its start sweep: on
        # MongoDB the sweep is an index lookup, and beside other processes a crash's leftovers
        # must not wait for a restart.
        self.relay.sweep_tracked_at_start_only = self.db.alone_on_ferretdb
        if self.db.ferretdb and not self.db.serialize:
            log.warning("FerretDB with its workarounds off: fit for a one-process test pass only")
        elif self.db.alone_on_ferretdb:
            log.warning(
                "FerretDB: updates of one document are atomic within this process only; to run "
                "several %s processes on this store set TICKETFLOW_STORE_CROSS_PROCESS_LOCKS=true",
                self.settings.service_name,
            )
        await ensure_indexes(self.db, self.indexes)
        await _retry("broker", self.bus.connect, attempts)
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.bus.close()
        await self.client.close()

    async def readiness(self, timeout: float = READINESS_TIMEOUT_SECONDS) -> dict[str, bool]:
        """Whether broker and store answer, each asked at once and given `timeout` seconds."""
        # The store bounds its own ping; the outer bound, a little later, is the safety net.
        limit = timeout + 0.25
        broker, store = await asyncio.gather(
            _within(self.bus.ping(), limit), _within(ping(self.db, timeout), limit)
        )
        return {"broker": broker, "store": store}

    async def publish_outbox(
        self, collection: AsyncCollection, doc_id: object, entries: list[dict]
    ) -> None:
        await self.relay.flush(collection, doc_id, entries)

    async def consume(
        self, handlers: EventHandlers, *, purpose: str = "events", inbox: bool = True
    ) -> None:
        """Subscribe `purpose`'s queue to every event type `handlers` take; with `inbox`, an
        event already handled is skipped (for handlers whose writes do not say so themselves)."""
        handler = self.idempotent(handlers) if inbox else handlers
        await self.bus.subscribe(purpose, handlers.event_types, handler)

    def idempotent(self, handler: EventHandler) -> EventHandler:
        """Skip events this service already handled; remember each one after it is handled."""

        async def handle_once(envelope: Envelope, payload: Payload) -> None:
            if await self.inbox.seen(envelope.id):
                log.info("event %s already handled; acking", envelope.id)
                return
            await handler(envelope, payload)
            await self.inbox.remember(envelope.id, envelope.type)

        return handle_once


async def _within(check: Awaitable[bool], timeout: float) -> bool:
    """A check's answer, or False if it has none in time or fails: a probe must not hang."""
    try:
        return await asyncio.wait_for(check, timeout)
    except TimeoutError:
        log.warning("readiness check gave no answer within %.2f s", timeout)
    except Exception as exc:
        log.warning("readiness check failed: %s", exc)
    return False


async def _retry(what: str, step: Callable[[], Awaitable[object]], attempts: int) -> None:
    for attempt in range(1, attempts + 1):
        try:
            await step()
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("waiting for %s (%s): %s", what, attempt, exc)
            await asyncio.sleep(1.0)
