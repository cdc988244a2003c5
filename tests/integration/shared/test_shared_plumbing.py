"""Shared plumbing on the real broker and store: outbox order and crash sweep, queue set-up."""

import asyncio

import pytest
from outbox_events import resolved

from support import BusProbe
from ticketflow_shared.bus import Bus
from ticketflow_shared.events import Envelope
from ticketflow_shared.outbox import OutboxRelay, outbox_fields, push_outbox
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.testing import START, FakeClock

pytestmark = pytest.mark.integration


async def test_an_event_that_failed_to_publish_goes_out_before_later_ones(parts, namespace):
    bus, db = parts
    docs = db["docs"]
    relay = OutboxRelay(bus, [docs])
    first, second = resolved("T1", "first"), resolved("T1", "second")

    fields, entries = outbox_fields([first])
    await docs.insert_one({"_id": "T1", **fields})
    await relay.flush(docs, "T1", entries)  # nothing is bound yet: unroutable, so it fails
    assert [e["id"] for e in (await docs.find_one({"_id": "T1"}))["outbox"]] == [first.id]

    probe = BusProbe(namespace)
    await probe.start()
    try:
        update, entries = push_outbox([second])
        await docs.update_one({"_id": "T1"}, update)
        await relay.flush(docs, "T1", entries)

        arrived = await probe.wait_for("ticket.resolved.v1", "T1", count=2)
        assert [e.id for e in arrived] == [first.id, second.id]
        stored = await docs.find_one({"_id": "T1"})
        assert stored["outbox"] == []
        assert "outbox_since" not in stored
    finally:
        await probe.close()


async def test_a_write_cut_short_before_its_flush_goes_out_with_the_next_write(parts, bus_probe):
    """A request cut short between its write and its flush, then a later write of the same
    document with nothing to publish: the first write's events still go out, in order."""
    bus, db = parts
    docs = db["tickets"]
    relay = OutboxRelay(bus, [docs], tracked=["tickets"])
    solved, resolved_too = resolved("T5", "solved"), resolved("T5", "resolved")
    await docs.insert_one({"_id": "T5", "version": 1, "outbox": []})

    relay.expect(docs, "T5")
    update, _ = push_outbox([solved, resolved_too])
    await docs.update_one({"_id": "T5"}, {**update, "$set": {"version": 2}})
    # ... cut short here: no flush. A later event changes the ticket and publishes nothing.
    relay.expect(docs, "T5")
    await docs.update_one({"_id": "T5"}, {"$set": {"version": 3}})
    await relay.flush(docs, "T5", [])

    arrived = await bus_probe.wait_for("ticket.resolved.v1", "T5", count=2)
    assert [e.id for e in arrived] == [solved.id, resolved_too.id]
    stored = await docs.find_one({"_id": "T5"})
    assert (stored["outbox"], stored["version"]) == ([], 3)
    assert "outbox_since" not in stored


async def test_the_sweep_publishes_what_a_crash_left_in_an_outbox(parts, bus_probe):
    bus, db = parts
    docs = db["docs"]
    left = resolved("T2", "left behind")
    fields, _ = outbox_fields([left])
    await docs.insert_one({"_id": "T2", "status": "solved", **fields})

    published = await OutboxRelay(bus, [docs], grace_seconds=0).sweep()

    assert published == 1
    (arrived,) = await bus_probe.wait_for("ticket.resolved.v1", "T2")
    assert arrived == left
    assert (await docs.find_one({"_id": "T2"}))["outbox"] == []


async def test_inserted_outboxes_go_out_together_and_are_emptied_in_one_write(parts, bus_probe):
    bus, db = parts
    docs = db["claims"]
    relay = OutboxRelay(bus, [docs])
    outboxes = {}
    for n in range(60):  # more than one bulk write's worth
        events = [resolved(f"C{n}", "first"), resolved(f"C{n}", "second")]
        fields, outboxes[f"C{n}"] = outbox_fields(events)
        await docs.insert_one({"_id": f"C{n}", **fields})

    await relay.flush_inserted(docs, outboxes)

    arrived = await bus_probe.wait_for("ticket.resolved.v1", count=120)
    for n in (0, 59):
        assert [e.data["resolution"] for e in arrived if e.subject == f"C{n}"] == [
            "first",
            "second",
        ]
    assert await docs.count_documents({"outbox_since": {"$exists": True}}) == 0
    assert await docs.count_documents({"outbox": []}) == 60


async def test_an_inserted_outbox_that_failed_to_publish_stays_for_the_retry(parts, namespace):
    bus, db = parts
    docs = db["claims"]
    relay = OutboxRelay(bus, [docs])
    fields, entries = outbox_fields([resolved("C1", "unroutable")])
    await docs.insert_one({"_id": "C1", **fields})

    await relay.flush_inserted(docs, {"C1": entries})  # nothing is bound yet

    stored = await docs.find_one({"_id": "C1"})
    assert [e["id"] for e in stored["outbox"]] == [entries[0]["id"]]
    assert "outbox_since" in stored
    probe = BusProbe(namespace)
    await probe.start()
    try:
        await relay.retry_failed()
        await probe.wait_for("ticket.resolved.v1", "C1")
        assert (await docs.find_one({"_id": "C1"}))["outbox"] == []
    finally:
        await probe.close()


async def test_the_relays_sweep_job_runs_on_the_scheduler_by_the_clock(parts, bus_probe):
    bus, db = parts
    docs = db["docs"]
    clock = FakeClock(START)
    scheduler = Scheduler(clock)
    relay = OutboxRelay(bus, [docs], poll_seconds=1, sweep_seconds=60, clock=clock)
    relay.schedule(scheduler)
    left = resolved("T3", "left behind")
    fields, _ = outbox_fields([left], clock.now())
    await docs.insert_one({"_id": "T3", **fields})
    scheduler.start()
    try:
        await _all_asleep(clock, jobs=2)  # the first sweep ran, and found it too recent
        assert (await docs.find_one({"_id": "T3"}))["outbox"]

        await clock.run_for(60)  # the next sweep, 60 s on the clock later
        (arrived,) = await bus_probe.wait_for("ticket.resolved.v1", "T3")
        assert arrived == left
    finally:
        await scheduler.stop()


async def _all_asleep(clock: FakeClock, jobs: int) -> None:
    """Wait (on real I/O) until `jobs` scheduled jobs are waiting for the clock."""
    for _ in range(400):
        if clock.sleepers == jobs:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{clock.sleepers} of {jobs} jobs waiting for the clock")


async def test_a_changed_delivery_limit_keeps_the_existing_queue_serving(namespace, bus_probe):
    handled: list[str] = []

    async def handle(envelope: Envelope, payload: object) -> None:
        handled.append(envelope.id)

    buses = []
    for attempts in (5, 3):
        bus = Bus(
            namespace.servers.amqp_url,
            exchange=namespace.exchange,
            namespace=f"{namespace.queue_prefix}routing",
            max_delivery_attempts=attempts,
        )
        await bus.connect()
        await bus.subscribe("events", ["ticket.resolved.v1"], handle)
        buses.append(bus)
    await buses[0].close()

    event = resolved("T3", "after the change")
    await buses[1].publish(event)
    await bus_probe.wait_for("ticket.resolved.v1", "T3")
    for _ in range(100):
        if handled:
            break
        await asyncio.sleep(0.05)
    await buses[1].close()
    assert handled == [event.id]
