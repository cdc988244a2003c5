"""Durable timers on the real store: one firing of two racing processes, and a restart."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from factories import sla_envelope
from support import Namespace
from ticketflow_shared.clock import SYSTEM_CLOCK
from ticketflow_shared.events import Envelope
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.store import mongo_client
from ticketflow_shared.timers import DueTimers, Timer, index_models

pytestmark = pytest.mark.integration


class Process:
    """One routing-like process: its own client, scheduler and timers."""

    def __init__(self, namespace: Namespace, published: list[Envelope]) -> None:
        self.client = mongo_client(namespace.servers.mongo_url, "timer-tests")
        db = self.client[namespace.database("timers")]
        self.published = published
        self.scheduler = Scheduler()
        self.timers = DueTimers(
            "test",
            db["timers"],
            db["firings"],
            self.scheduler,
            self.check,
            self.flush,
            poll_seconds=0.2,
            horizon_seconds=2.0,
        )

    async def check(self, timer: Timer) -> list[Envelope]:
        return [sla_envelope(timer.data["ticket"], at=SYSTEM_CLOCK.now(), due_at=timer.due)]

    async def flush(self, collection, outboxes) -> None:
        for doc_id, entries in outboxes.items():
            self.published.extend(Envelope.model_validate_json(e["body"]) for e in entries)
            await collection.update_one({"_id": doc_id}, {"$set": {"outbox": []}})

    async def start(self) -> None:
        await self.timers.timers.create_indexes(index_models())
        self.timers.start()
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.client.close()


@pytest.fixture
async def published() -> AsyncIterator[list[Envelope]]:
    yield []


async def wait_for(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_two_processes_racing_fire_a_timer_once(namespace, published) -> None:
    first, second = Process(namespace, published), Process(namespace, published)
    await first.start()
    await second.start()
    try:
        due = SYSTEM_CLOCK.now() + timedelta(seconds=0.8)
        for n in range(5):
            await first.timers.schedule(
                f"TF-{n}:first_response:0:breach", due, {"ticket": f"TF-{n}"}
            )
        await asyncio.sleep(0.5)  # the second process arms them from its poll
        await wait_for(lambda: len(published) >= 5)
        await asyncio.sleep(0.5)
        assert sorted(e.subject for e in published) == [f"TF-{n}" for n in range(5)]
        # Both raced for every timer; one fired but not yet deleted may be armed once more by
        # the next poll (its second firing then finds the claim taken).
        assert first.timers.stats.armed >= 5
        assert second.timers.stats.armed >= 5
        assert first.timers.stats.claimed + second.timers.stats.claimed == 5
        assert await first.timers.timers.count_documents({}) == 0
    finally:
        await first.stop()
        await second.stop()


async def test_a_new_process_fires_what_a_stopped_one_armed(namespace, published) -> None:
    gone = Process(namespace, published)
    await gone.start()
    due = SYSTEM_CLOCK.now() + timedelta(seconds=1)
    await gone.timers.schedule("TF-9:resolution:0:breach", due, {"ticket": "TF-9"})
    await gone.stop()
    after = Process(namespace, published)
    await after.start()
    try:
        await wait_for(lambda: published, seconds=4)
        assert [e.subject for e in published] == ["TF-9"]
        received = SYSTEM_CLOCK.now()
        assert received - due < timedelta(seconds=1.5)
    finally:
        await after.stop()


async def test_a_cancelled_or_rescheduled_timer_does_not_fire_at_its_old_time(
    namespace, published
) -> None:
    process = Process(namespace, published)
    await process.start()
    try:
        soon = SYSTEM_CLOCK.now() + timedelta(seconds=0.3)
        await process.timers.schedule("TF-1:x", soon, {"ticket": "TF-1"})
        await process.timers.schedule("TF-2:x", soon, {"ticket": "TF-2"})
        await process.timers.cancel("TF-1:x")
        later = SYSTEM_CLOCK.now() + timedelta(seconds=30)
        await process.timers.schedule("TF-2:x", later, {"ticket": "TF-2"})
        assert not await process.timers.fire("TF-2:x", soon)  # the old due time is stale
        await asyncio.sleep(0.8)
        assert published == []
        assert await process.timers.timers.count_documents({}) == 1
    finally:
        await process.stop()


async def test_two_processes_racing_over_many_timers_fire_each_once(namespace, published) -> None:
    # Batches: each process reads the due timers in one find and claims them in one insert of
    # many; the duplicate keys of that insert are the timers the other process won.
    first, second = Process(namespace, published), Process(namespace, published)
    await first.start()
    await second.start()
    try:
        due = SYSTEM_CLOCK.now() + timedelta(seconds=1.5)
        count = 300
        for n in range(count):
            await first.timers.schedule(f"TF-{n}:resolution:0:breach", due, {"ticket": f"TF-{n}"})
        await wait_for(lambda: len(published) >= count, seconds=15)
        await asyncio.sleep(0.5)
        assert sorted(e.subject for e in published) == sorted(f"TF-{n}" for n in range(count))
        assert first.timers.stats.claimed + second.timers.stats.claimed == count
        await wait_for_count(first.timers.timers, 0)
        assert await first.timers.timers.count_documents({}) == 0
        assert await first.timers.firings.count_documents({}) == count
    finally:
        await first.stop()
        await second.stop()


async def wait_for_count(collection, expected: int, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await collection.count_documents({}) == expected:
            return
        await asyncio.sleep(0.1)


async def test_a_batch_keeps_a_stale_timer_its_check_rescheduled(namespace, published) -> None:
    process = Process(namespace, published)
    await process.timers.timers.create_indexes(index_models())
    keys = ("TF-1:x", "TF-2:x", "TF-3:x", "TF-4:x")
    try:
        due = SYSTEM_CLOCK.now() - timedelta(seconds=1)
        later = SYSTEM_CLOCK.now() + timedelta(seconds=60)
        for key in keys:
            await process.timers.schedule(key, due, {"ticket": key[:4]})
        original = process.check

        async def check(timer: Timer) -> list[Envelope] | None:
            if timer.key == "TF-2:x":  # arms its next time and owes nothing, as shift starts do
                await process.timers.schedule("TF-2:x", later, {"ticket": "TF-2"})
                return None
            if timer.key == "TF-3:x":
                raise RuntimeError("the ticket store did not answer")
            if timer.key == "TF-4:x":  # re-scheduled by another handler while it fires
                await process.timers.schedule("TF-4:x", later, {"ticket": "TF-4"})
            return await original(timer)

        process.timers.check = check
        fired = await process.timers.fire_many({key: due for key in keys})
        assert fired == {"TF-1:x", "TF-4:x"}
        left = {doc["_id"]: doc["due"] async for doc in process.timers.timers.find({})}
        # TF-1 fired and is gone; TF-2's next time stays; TF-3, whose check failed, stays due;
        # TF-4 fired, and its claim would only make the new version find it taken: gone too.
        assert set(left) == {"TF-2:x", "TF-3:x"}
        assert left["TF-2:x"] > SYSTEM_CLOCK.now()
        assert sorted(e.subject for e in published) == ["TF-1", "TF-4"]
    finally:
        await process.stop()


async def test_more_timers_than_one_bulk_call_fire_in_one_batch(namespace, published) -> None:
    process = Process(namespace, published)
    try:
        due = SYSTEM_CLOCK.now() - timedelta(seconds=1)
        keys = [f"TF-{n}:x" for n in range(120)]
        for key in keys:
            await process.timers.schedule(key, due, {"ticket": key.split(":")[0]})
        fired = await process.timers.fire_many(dict.fromkeys(keys, due))
        assert fired == set(keys)
        assert await process.timers.timers.count_documents({}) == 0
        assert await process.timers.firings.count_documents({}) == 120
        assert len(published) == 120
    finally:
        await process.stop()


async def test_a_firing_claimed_by_a_process_that_failed_after_the_claim_is_not_repeated(
    namespace, published
) -> None:
    # The claim holds the events in its outbox (published by the outbox sweep); a timer left
    # stored by a process that stopped before deleting it finds the claim taken next time.
    gone, after = Process(namespace, published), Process(namespace, published)

    async def crash(timer: Timer, envelopes: list[Envelope]) -> None:
        raise RuntimeError("process died after claiming")

    gone.timers.claimed = crash
    try:
        due = SYSTEM_CLOCK.now() - timedelta(seconds=1)
        await gone.timers.schedule("TF-7:x", due, {"ticket": "TF-7"})
        assert await gone.timers.fire_many({"TF-7:x": due}) == {"TF-7:x"}
        assert published == []
        claim = await gone.timers.firings.find_one({"_id": "TF-7:x"})
        assert claim is not None and len(claim["outbox"]) == 1 and "outbox_since" in claim
        assert await gone.timers.timers.count_documents({}) == 0

        await after.timers.schedule("TF-7:x", due, {"ticket": "TF-7"})  # as if never deleted
        assert await after.timers.fire_many({"TF-7:x": due}) == set()
        assert after.timers.stats.lost == 1
        assert await after.timers.timers.count_documents({}) == 0
        assert published == []
    finally:
        await gone.stop()
        await after.stop()


async def test_timers_coming_due_are_claimed_while_an_earlier_batch_still_publishes(
    namespace, published
) -> None:
    # The first batch's publish hangs (a broker slow to confirm); the timers due after it are
    # claimed all the same. Stopped meanwhile, the hung batch's events wait in its claims for
    # the outbox sweep.
    process = Process(namespace, published)
    hung = asyncio.Event()
    flush = process.flush

    async def slow_first_flush(collection, outboxes) -> None:
        if "TF-1:x" in outboxes:
            await hung.wait()
        await flush(collection, outboxes)

    process.timers.flush = slow_first_flush
    process.scheduler.grace_seconds = 0.5  # the hung publish is cancelled at the stop
    await process.start()
    try:
        now = SYSTEM_CLOCK.now()
        await process.timers.schedule("TF-1:x", now + timedelta(seconds=0.3), {"ticket": "TF-1"})
        await asyncio.sleep(0.8)
        for n in (2, 3):
            due = now + timedelta(seconds=1.0)
            await process.timers.schedule(f"TF-{n}:x", due, {"ticket": f"TF-{n}"})
        await wait_for(lambda: len(published) >= 2)
        assert sorted(e.subject for e in published) == ["TF-2", "TF-3"]
        await process.scheduler.stop()
        claim = await process.timers.firings.find_one({"_id": "TF-1:x"})
        assert claim is not None and len(claim["outbox"]) == 1 and "outbox_since" in claim
    finally:
        await process.stop()


async def test_old_published_claims_are_pruned_and_the_rest_kept(namespace) -> None:
    client = mongo_client(namespace.servers.mongo_url, "timer-tests")
    firings = client[namespace.database("timers")]["firings"]
    now = SYSTEM_CLOCK.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    settled = [{"_id": f"old:{n}", "due": old, "outbox": []} for n in range(120)]
    pending = [
        {"_id": f"pending:{n}", "due": old, "outbox": [{"id": "e"}], "outbox_since": old}
        for n in range(3)
    ]
    kept = [{"_id": f"recent:{n}", "due": recent, "outbox": []} for n in range(3)]
    for chunk in (settled[:50], settled[50:100], settled[100:], pending, kept):
        await firings.insert_many(chunk)
    timers = DueTimers(
        "test",
        client[namespace.database("timers")]["timers"],
        firings,
        Scheduler(),
        lambda timer: None,
        lambda collection, outboxes: None,
        keep_firings_seconds=30 * 86400,
    )
    try:
        assert await timers.prune_firings() == 120
        left = sorted(doc["_id"] for doc in await firings.find({}, {"_id": 1}).to_list())
        assert left == sorted(d["_id"] for d in pending + kept)
        assert await timers.prune_firings() == 0
    finally:
        await client.close()
