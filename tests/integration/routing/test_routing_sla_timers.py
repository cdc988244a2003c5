"""SLA breaches on the real store: exactly once with two routing processes racing, a restart
picks up an armed timer, and a paused clock does not fire."""

import asyncio
from datetime import timedelta

import pytest

from factories import ticket_created
from routing import sla_handlers
from routing.adapters.sla import SlaStore
from routing.domain.sla import SlaPolicy
from routing.sla_handlers import SlaDeps
from support import Namespace
from ticketflow_shared.clock import SYSTEM_CLOCK
from ticketflow_shared.events import (
    AuthorKind,
    Envelope,
    Position,
    Priority,
    SlaTarget,
    TicketMessageAddedV1,
    TicketStatus,
    TicketStatusChangedV1,
    Visibility,
)
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.store import mongo_client
from ticketflow_shared.timers import DueTimers

pytestmark = pytest.mark.integration
INTAKE = "intake"
FAST = SlaPolicy(
    name="fast",
    targets={Priority.high: {SlaTarget.first_response: 1.0, SlaTarget.resolution: 60.0}},
)


class RoutingProcess:
    """One routing process's SLA part: its own client, scheduler, store and timers."""

    def __init__(self, namespace: Namespace, published: list[Envelope]) -> None:
        self.client = mongo_client(namespace.servers.mongo_url, "sla-tests")
        db = self.client[namespace.database("routing")]
        self.published = published
        self.scheduler = Scheduler()
        self.deps = SlaDeps(SlaStore(db["sla_tickets"], db["sla_policies"]))
        self.deps.timers = DueTimers(
            "sla",
            db["sla_timers"],
            db["sla_firings"],
            self.scheduler,
            lambda timer: sla_handlers.check(timer, self.deps),
            self.flush,
            claimed=lambda timer, _: sla_handlers.claimed(timer, self.deps),
            poll_seconds=0.3,
            horizon_seconds=3.0,
        )

    async def flush(self, collection, outboxes) -> None:
        for doc_id, entries in outboxes.items():
            self.published.extend(Envelope.model_validate_json(e["body"]) for e in entries)
            await collection.update_one({"_id": doc_id}, {"$set": {"outbox": []}})

    def start(self) -> None:
        self.deps.timers.start()
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.client.close()


async def created(process: RoutingProcess, ticket_id: str, sequence: int = 1):
    event = ticket_created(ticket_id, created_at=SYSTEM_CLOCK.now(), priority=Priority.high)
    await sla_handlers.ticket_created(event, process.deps, Position(ticket_id, INTAKE, sequence))
    return event


def of_type(published: list[Envelope], kind: str) -> list[Envelope]:
    return [e for e in published if e.type == kind]


async def test_two_processes_send_one_warning_and_one_breach(namespace) -> None:
    published: list[Envelope] = []
    first, second = RoutingProcess(namespace, published), RoutingProcess(namespace, published)
    await first.deps.store.put_policy(FAST)
    first.start()
    second.start()
    try:
        await created(first, "TF-1")
        await asyncio.sleep(2.5)
        breaches = of_type(published, "sla.breached.v1")
        assert len(breaches) == 1 and len(of_type(published, "sla.warning.v1")) == 1
        assert breaches[0].data["target"] == "first_response"
        (ticket, _, _) = await first.deps.store.get("TF-1")
        assert ticket.latest(SlaTarget.first_response).breached
        stats = first.deps.timers.stats, second.deps.timers.stats
        assert sum(s.claimed for s in stats) == 2
    finally:
        await first.stop()
        await second.stop()


async def test_a_restarted_process_fires_the_breach_once(namespace) -> None:
    published: list[Envelope] = []
    gone = RoutingProcess(namespace, published)
    await gone.deps.store.put_policy(FAST)
    gone.start()
    event = await created(gone, "TF-2")
    await gone.stop()
    after = RoutingProcess(namespace, published)
    after.start()
    try:
        await asyncio.sleep(2.5)
        [breach] = of_type(published, "sla.breached.v1")
        due = event.created_at + timedelta(seconds=1)
        assert breach.data["due_at"].startswith(due.isoformat()[:19])
    finally:
        await after.stop()


async def test_a_paused_clock_does_not_breach(namespace) -> None:
    published: list[Envelope] = []
    process = RoutingProcess(namespace, published)
    await process.deps.store.put_policy(FAST)
    process.start()
    try:
        event = await created(process, "TF-3")
        pending = TicketStatusChangedV1(
            ticket_id="TF-3",
            status=TicketStatus.pending,
            previous=TicketStatus.open,
            actor="user:ana",
            changed_at=event.created_at + timedelta(seconds=0.2),
        )
        await sla_handlers.status_changed(pending, process.deps, Position("e2", INTAKE, 2))
        await sla_handlers.status_changed(pending, process.deps, Position("e2", INTAKE, 2))
        await asyncio.sleep(1.8)
        assert of_type(published, "sla.breached.v1") == []
        (ticket, version, _) = await process.deps.store.get("TF-3")
        assert version == 2  # the repeated event changed nothing
        assert ticket.latest(SlaTarget.first_response).state.value == "paused"
    finally:
        await process.stop()


async def test_a_reply_copied_by_a_merge_leaves_the_clocks_alone(namespace) -> None:
    process = RoutingProcess(namespace, [])
    await process.deps.store.put_policy(FAST)
    try:
        event = await created(process, "TF-4")

        def reply(sequence: int, **extra: str) -> TicketMessageAddedV1:
            return TicketMessageAddedV1(
                ticket_id="TF-4",
                message_id=f"M-{sequence}",
                author="user:ana",
                author_kind=AuthorKind.agent,
                visibility=Visibility.public,
                body="We are on it.",
                added_at=event.created_at + timedelta(seconds=0.1 * sequence),
                **extra,
            )

        copy = reply(2, joined="merge")
        await sla_handlers.message_added(copy, process.deps, Position("e2", INTAKE, 2))
        (ticket, _, _) = await process.deps.store.get("TF-4")
        assert ticket.latest(SlaTarget.first_response).state.value == "running"
        await sla_handlers.message_added(reply(3), process.deps, Position("e3", INTAKE, 3))
        (ticket, _, _) = await process.deps.store.get("TF-4")
        assert ticket.latest(SlaTarget.first_response).state.value != "running"
    finally:
        await process.stop()
