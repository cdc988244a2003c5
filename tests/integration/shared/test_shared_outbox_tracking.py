"""A tracked outbox collection on the real store and broker: what the relay was told of and
not flushed goes out by `_id` after its prepare step; crash leftovers by the start sweep only;
a lone process empties a flushed outbox unread, and never drops a later write's entries."""

import asyncio
from datetime import timedelta

import pytest
from outbox_events import resolved

from support import BusProbe, Namespace
from ticketflow_shared.metrics import STORE_COMMANDS
from ticketflow_shared.outbox import OutboxRelay, outbox_fields, push_outbox
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.serialized import ahead_of_queued_writes
from ticketflow_shared.settings import ServiceSettings
from ticketflow_shared.testing import START, FakeClock

pytestmark = pytest.mark.integration


async def test_a_write_told_of_and_never_flushed_goes_out_after_its_prepare(parts, bus_probe):
    bus, db = parts
    docs = db["docs"]
    clock = FakeClock(START)
    relay = OutboxRelay(bus, [docs], grace_seconds=5, clock=clock, tracked=["docs"])
    prepared: list[str] = []

    async def prepare(doc_id: str) -> None:
        prepared.append(doc_id)

    relay.prepare_with("docs", prepare)
    flushed, cut = resolved("T5", "flushed"), resolved("T6", "cut short")
    written = {}
    for doc_id, event in (("T5", flushed), ("T6", cut)):
        relay.expect(docs, doc_id)
        fields, written[doc_id] = outbox_fields([event], clock.now())
        await docs.insert_one({"_id": doc_id, **fields})
    await relay.flush(docs, "T5", written["T5"])
    # T6's write landed but its flush never ran (cancelled, say): nobody swept.

    await relay.retry_failed()  # within the grace period: left to the writer
    assert prepared == []
    assert (await docs.find_one({"_id": "T6"}))["outbox"]

    clock.advance(timedelta(seconds=6))
    await relay.retry_failed()
    (arrived,) = await bus_probe.wait_for("ticket.resolved.v1", "T6")
    assert arrived == cut
    assert prepared == ["T6"]  # T5 was flushed: no note of it was left
    assert (await docs.find_one({"_id": "T6"}))["outbox"] == []

    clock.advance(timedelta(seconds=6))
    await relay.retry_failed()
    assert prepared == ["T6"]  # done with: not looked at again


async def test_a_tracked_collection_is_swept_at_start_and_then_never(parts, bus_probe: BusProbe):
    bus, db = parts
    docs = db["docs"]
    clock = FakeClock(START)
    # Left by a process that crashed a second before this one started: within the grace.
    before = resolved("T7", "left by the last process")
    fields, _ = outbox_fields([before], clock.now())
    await docs.insert_one({"_id": "T7", **fields})
    clock.advance(timedelta(seconds=1))
    relay = OutboxRelay(bus, [docs], sweep_seconds=60, clock=clock, tracked=["docs"])
    scheduler = Scheduler(clock)
    relay.schedule(scheduler)
    scheduler.start()
    try:
        (arrived,) = await bus_probe.wait_for("ticket.resolved.v1", "T7")
        assert arrived == before
        # Written later without telling the relay (no writer of a tracked collection does):
        # no periodic sweep looks for it, however long the process runs.
        stray = resolved("T8", "never told")
        fields, _ = outbox_fields([stray], clock.now())
        await docs.insert_one({"_id": "T8", **fields})
        await clock.run_for(600)
        await asyncio.sleep(0.5)
        assert not bus_probe.of_type("ticket.resolved.v1", "T8")
        assert (await docs.find_one({"_id": "T8"}))["outbox"]
    finally:
        await scheduler.stop()


async def test_every_write_a_runtime_sends_that_adds_to_an_outbox_is_tracked(
    namespace: Namespace, bus_probe: BusProbe
):
    """No adapter tells the relay anything here: the runtime's store layer does, for an insert
    and an update whose flushes never ran, and its retry job publishes both after the grace."""
    clock = FakeClock(START)
    settings = namespace.settings(ServiceSettings, "outbox")
    runtime = Runtime(settings, indexes={}, outbox_collections=["docs"], clock=clock)
    await runtime.start()
    try:
        docs = runtime.db["docs"]
        inserted, pushed = resolved("T9", "inserted"), resolved("T9", "pushed")
        fields, _ = outbox_fields([inserted], clock.now())
        await docs.insert_one({"_id": "T9", **fields})
        update, _ = push_outbox([pushed], clock.now())
        await docs.update_one({"_id": "T9"}, update)
        await docs.insert_one({"_id": "T10", "outbox": []})  # nothing to track

        await clock.run_for(runtime.relay.grace.total_seconds() + 2)

        arrived = await bus_probe.wait_for("ticket.resolved.v1", "T9", count=2)
        assert [e.id for e in arrived] == [inserted.id, pushed.id]
        for _ in range(50):  # published, then emptied: give the emptying its moment
            if (await docs.find_one({"_id": "T9"}))["outbox"] == []:
                break
            await asyncio.sleep(0.1)
        assert (await docs.find_one({"_id": "T9"}))["outbox"] == []
        assert not runtime.relay._expected  # all settled: nothing left to look at
    finally:
        await runtime.stop()


async def _swept_relay(bus, docs, clock) -> OutboxRelay:
    relay = OutboxRelay(bus, [docs], clock=clock, tracked=[docs.name])
    await relay.sweep()  # what a start does first
    return relay


async def _pushed(relay: OutboxRelay, docs, doc_id: str, event) -> list[dict]:
    """One tracked write adding `event` to the document's outbox; the entries it added."""
    relay.expect(docs, doc_id)
    update, entries = push_outbox([event], relay.clock.now())
    await docs.update_one({"_id": doc_id}, update, upsert=True)
    return entries


async def test_a_lone_process_empties_what_it_just_flushed_without_reading_it(parts, bus_probe):
    bus, db = parts
    docs = db["vouched_docs"]
    relay = await _swept_relay(bus, docs, FakeClock(START))
    first = resolved("T11", "first")
    entries = await _pushed(relay, docs, "T11", first)

    finds = STORE_COMMANDS.counts["find", docs.name]
    await relay.flush(docs, "T11", entries)
    reads = STORE_COMMANDS.counts["find", docs.name] - finds

    (arrived,) = await bus_probe.wait_for("ticket.resolved.v1", "T11")
    assert arrived == first
    stored = await docs.find_one({"_id": "T11"})
    assert stored["outbox"] == [] and "outbox_since" not in stored
    # The condition is the server's to check, or, alone on FerretDB, known to the relay: the
    # layer does not read the document first.
    assert reads == 0


async def test_a_write_that_overtakes_the_emptying_keeps_its_entries(parts, bus_probe):
    """The flush of T12's first write has published and waits for its turn to empty the
    outbox; a second write of T12, made ahead of queued writes, lands first. The emptying
    must not take the second write's entry with it."""
    bus, db = parts
    docs = db["overtaken_docs"]
    relay = await _swept_relay(bus, docs, FakeClock(START))
    first, second = resolved("T12", "first"), resolved("T12", "second")
    entries = await _pushed(relay, docs, "T12", first)

    turns = db.lock_for(docs.name)
    await turns.__aenter__()  # another write of the collection under way
    flushing = asyncio.create_task(relay.flush(docs, "T12", entries))
    await bus_probe.wait_for("ticket.resolved.v1", "T12")
    for _ in range(20):  # let the flush queue its emptying behind the write under way
        await asyncio.sleep(0)
    with ahead_of_queued_writes():
        overtaking = asyncio.create_task(_pushed(relay, docs, "T12", second))
        for _ in range(20):
            await asyncio.sleep(0)
    await turns.__aexit__(None, None, None)
    second_entries = await overtaking
    await flushing

    stored = await docs.find_one({"_id": "T12"})
    assert [entry["id"] for entry in stored["outbox"]] == [e["id"] for e in second_entries]
    await relay.flush(docs, "T12", second_entries)
    arrived = await bus_probe.wait_for("ticket.resolved.v1", "T12", count=2)
    assert [e.id for e in arrived] == [first.id, second.id]
    assert (await docs.find_one({"_id": "T12"}))["outbox"] == []
