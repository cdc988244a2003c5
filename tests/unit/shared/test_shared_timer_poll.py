"""The due timers' arming on a fake clock: a slow poll spaces the polls out and arms further
ahead; a timer scheduled again is armed at its new time; an armed timer fires with what the
poll read, and a timer deleted while a poll read is not armed again by it."""

from datetime import timedelta

from factories import sla_envelope
from ticketflow_shared.events import Envelope
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.testing import START, FakeClock
from ticketflow_shared.timers import DueTimers, Timer


class SlowScan:
    """A timers collection whose every read takes `seconds` on the clock, as a FerretDB scan."""

    def __init__(self, clock: FakeClock, seconds: float, dues: dict[str, float]) -> None:
        self.clock, self.seconds = clock, seconds
        self.docs = {key: START + timedelta(seconds=due) for key, due in dues.items()}
        self.reads: list[tuple[dict, dict | None]] = []
        self.lookups: list[str] = []

    async def replace_one(self, query: dict, doc: dict, upsert: bool = False) -> None:
        self.docs[query["_id"]] = doc["due"]

    async def find_one(self, query: dict) -> dict | None:
        self.lookups.append(query["_id"])
        due = self.docs.get(query["_id"])
        return None if due is None else {"_id": query["_id"], "due": due}

    async def delete_one(self, query: dict) -> None:
        if self.docs.get(query["_id"]) == query["due"]:
            del self.docs[query["_id"]]

    def find(self, query: dict, projection: dict | None = None):
        self.reads.append((query, projection))
        self.clock.advance(self.seconds)
        return self._matching(query["due"]["$lte"])

    async def _matching(self, until):
        for key, due in self.docs.items():
            if due <= until:
                yield {"_id": key, "due": due, "data": {"ticket": key.upper()}}


def timers_on(clock: FakeClock, scan: SlowScan, check=None) -> DueTimers:
    async def never(*_):
        raise AssertionError("nothing fires here")

    return DueTimers(
        "test",
        scan,
        scan,
        Scheduler(clock),
        check or never,
        never,
        clock=clock,
        poll_seconds=1.0,
        horizon_seconds=5.0,
    )


async def test_a_slow_poll_is_followed_by_none_for_nine_times_as_long() -> None:
    clock = FakeClock(START)
    scan = SlowScan(clock, seconds=2.0, dues={"a": 3, "b": 10, "c": 20, "d": 40})
    timers = timers_on(clock, scan)

    # At 0 s: "a", within the horizon. That poll took 2 s, but it armed only 5 s ahead, so
    # the next one may not wait the 18 s its cost asks for.
    assert await timers.poll() == 1
    clock.advance(1)
    assert await timers.poll() == 2  # at 3 s, armed 3 + 5 + 18 s ahead: "b" and "c"
    clock.advance(1)
    assert await timers.poll() == 0  # at 6 s: paused until 5 + 18 s, or 26 - 5 s
    assert len(scan.reads) == 2
    clock.advance(15)
    assert await timers.poll() == 1  # at 21 s: "d"; "c" came due armed before this poll
    assert len(scan.reads) == 3


async def test_the_poll_reads_keys_due_times_and_data() -> None:
    clock = FakeClock(START)
    scan = SlowScan(clock, seconds=0.0, dues={"a": 1})
    await timers_on(clock, scan).poll()
    [(query, projection)] = scan.reads
    assert projection == {"due": 1, "data": 1}
    assert query == {"due": {"$lte": START + timedelta(seconds=5)}}


async def test_a_timer_scheduled_earlier_is_armed_at_its_new_time() -> None:
    clock = FakeClock(START)
    scan = SlowScan(clock, seconds=0.0, dues={})
    checked: list[str] = []

    async def check(timer: Timer) -> None:
        checked.append(f"{timer.key}@{(clock.now() - START).total_seconds():.0f}")

    timers = timers_on(clock, scan, check)
    timers.scheduler.start()
    try:
        await timers.schedule("a", START + timedelta(seconds=4))
        await timers.schedule("a", START + timedelta(seconds=2))  # a priority raised, say
        await clock.run_for(2)
        assert checked == ["a@2"]
    finally:
        await timers.scheduler.stop()


async def test_an_armed_timer_fires_with_what_the_poll_read_without_reading_it_again() -> None:
    clock = FakeClock(START)
    scan = SlowScan(clock, seconds=0.0, dues={"a": 2, "b": 3})
    checked: list[Timer] = []

    async def check(timer: Timer) -> None:
        checked.append(timer)

    timers = timers_on(clock, scan, check)
    timers.scheduler.start()
    try:
        assert await timers.poll() == 2
        await clock.run_for(3)
        assert checked == [
            Timer("a", START + timedelta(seconds=2), {"ticket": "A"}),
            Timer("b", START + timedelta(seconds=3), {"ticket": "B"}),
        ]
        assert scan.lookups == []  # nor by `_id`: `check` alone says whether it is stale
    finally:
        await timers.scheduler.stop()


class LateScan(SlowScan):
    """A store whose scans return what was stored when the first one began, as a read under
    way while timers are deleted does; it takes claims and deletes."""

    def __init__(self, clock: FakeClock, dues: dict[str, float]) -> None:
        super().__init__(clock, seconds=0.0, dues=dues)
        self.snapshot = dict(self.docs)
        self.claims: list[str] = []

    async def _matching(self, until):
        for key, due in self.snapshot.items():
            if due <= until:
                yield {"_id": key, "due": due, "data": {}}

    async def insert_many(self, docs: list[dict], ordered: bool = True) -> None:
        self.claims.extend(doc["_id"] for doc in docs)

    async def bulk_write(self, operations: list, ordered: bool = True) -> None:
        for operation in operations:
            self.docs.pop(operation._filter["_id"], None)


async def test_a_poll_does_not_arm_again_a_timer_deleted_while_it_read() -> None:
    clock = FakeClock(START)
    scan = LateScan(clock, dues={"a": 1})

    async def owes(timer: Timer) -> list[Envelope]:
        return [sla_envelope("TF-1", at=START, due_at=timer.due)]

    async def published(collection, outboxes) -> None:
        return None

    timers = DueTimers(
        "test", scan, scan, Scheduler(clock), owes, published, clock=clock, poll_seconds=60
    )
    timers.scheduler.start()
    try:
        assert await timers.poll() == 1
        await clock.run_for(1)
        assert scan.claims == ["a"] and scan.docs == {}
        assert await timers.poll() == 0  # its read began before the delete: "a" is still in it
        assert scan.claims == ["a"]
    finally:
        await timers.scheduler.stop()
