"""The scheduler, driven by a fake clock: no test here waits on the wall clock."""

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.testing import FakeClock

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def scheduler(clock: FakeClock) -> AsyncIterator[Scheduler]:
    scheduler = Scheduler(clock, grace_seconds=5)
    yield scheduler
    await scheduler.stop()


class Recorder:
    """A job that notes the second (since T0) of each run; `hold` keeps runs going until set."""

    def __init__(self, clock: FakeClock, fail: bool = False) -> None:
        self.clock = clock
        self.fail = fail
        self.started: list[float] = []
        self.finished: list[float] = []
        self.hold: asyncio.Event | None = None

    def _second(self) -> float:
        return (self.clock.now() - T0).total_seconds()

    async def __call__(self) -> None:
        self.started.append(self._second())
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            raise RuntimeError("the store is away")
        self.finished.append(self._second())


async def test_a_periodic_job_runs_at_start_then_every_interval(clock, scheduler):
    job = Recorder(clock)
    scheduler.every("tick", 2, job)
    scheduler.start()

    await clock.run_for(7)

    assert job.started == [0, 2, 4, 6]


async def test_a_first_run_delay_holds_back_only_the_first_run(clock, scheduler):
    job = Recorder(clock)
    scheduler.every("stale", 30, job, first_in=5)
    scheduler.start()

    await clock.run_for(70)

    assert job.started == [5, 35, 65]


async def test_nothing_runs_before_start_and_a_job_added_later_starts_at_once(clock, scheduler):
    early, late = Recorder(clock), Recorder(clock)
    scheduler.every("early", 10, early)
    await clock.run_for(15)
    assert early.started == []

    scheduler.start()
    await clock.run_for(3)
    scheduler.every("late", 10, late)
    await clock.run_for(10)

    assert early.started == [15, 25]
    assert late.started == [18, 28]


async def test_a_failing_run_is_logged_and_the_job_runs_again(clock, scheduler, caplog):
    job = Recorder(clock, fail=True)
    scheduler.every("sweep", 1, job)
    scheduler.start()

    with caplog.at_level(logging.WARNING, logger="ticketflow_shared.scheduling"):
        await clock.run_for(2)

    assert job.started == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records] == ["scheduled job sweep failed"] * 3
    assert all(r.exc_info for r in caplog.records)


async def test_runs_of_one_job_never_overlap_and_the_interval_counts_from_the_end(clock, scheduler):
    job = Recorder(clock)
    job.hold = asyncio.Event()
    scheduler.every("slow", 2, job)
    scheduler.start()

    await clock.run_for(9)  # the first run takes 9 s: nothing starts beside it
    assert job.started == [0] and job.finished == []
    job.hold.set()
    await clock.run_for(4)

    assert job.finished[:1] == [9]
    assert job.started == [0, 11, 13]


async def test_different_jobs_run_side_by_side(clock, scheduler):
    slow, quick = Recorder(clock), Recorder(clock)
    slow.hold = asyncio.Event()
    scheduler.every("slow", 60, slow)
    scheduler.every("quick", 1, quick)
    scheduler.start()

    await clock.run_for(3)

    assert slow.started == [0] and quick.started == [0, 1, 2, 3]
    slow.hold.set()


async def test_a_timer_runs_once_at_its_time_and_frees_its_name(clock, scheduler):
    offer = Recorder(clock)
    scheduler.start()
    scheduler.at("offer:T-1", T0 + timedelta(seconds=45), offer)
    assert "offer:T-1" in scheduler

    await clock.run_for(44)
    assert offer.started == []
    await clock.run_for(100)

    assert offer.started == [45]
    assert "offer:T-1" not in scheduler
    scheduler.at("offer:T-1", T0, offer)  # the name can be used again; a past time runs at once
    await clock.run_for(0)
    assert offer.started == [45, 144]


async def test_a_failing_timer_is_logged_and_not_run_again(clock, scheduler, caplog):
    timer = Recorder(clock, fail=True)
    scheduler.start()
    scheduler.at("sla:T-2", T0 + timedelta(seconds=1), timer)

    with caplog.at_level(logging.WARNING, logger="ticketflow_shared.scheduling"):
        await clock.run_for(60)

    assert timer.started == [1]
    assert [r.getMessage() for r in caplog.records] == ["scheduled job sla:T-2 failed"]


async def test_a_cancelled_job_or_timer_runs_no_more(clock, scheduler):
    tick, offer = Recorder(clock), Recorder(clock)
    scheduler.every("tick", 5, tick)
    scheduler.at("offer:T-3", T0 + timedelta(seconds=20), offer)
    scheduler.start()
    await clock.run_for(6)

    assert scheduler.cancel("tick") and scheduler.cancel("offer:T-3")
    assert not scheduler.cancel("offer:T-3")
    await clock.run_for(60)

    assert tick.started == [0, 5] and offer.started == []
    assert clock.sleepers == 0


async def test_a_job_cancelled_during_its_run_finishes_that_run_only(clock, scheduler):
    job = Recorder(clock)
    job.hold = asyncio.Event()
    scheduler.every("tick", 1, job)
    scheduler.start()
    await clock.run_for(0)

    scheduler.cancel("tick")
    job.hold.set()
    await clock.run_for(10)

    assert job.started == [0] and job.finished == [0]


async def test_a_name_is_scheduled_once(scheduler):
    async def job() -> None: ...

    scheduler.every("tick", 1, job)
    with pytest.raises(ValueError):
        scheduler.every("tick", 2, job)
    with pytest.raises(ValueError):
        scheduler.at("tick", T0, job)
    with pytest.raises(ValueError):
        scheduler.every("never", 0, job)


async def test_stop_cancels_what_waits_and_lets_a_run_under_way_finish(clock, scheduler):
    busy, idle, timer = Recorder(clock), Recorder(clock), Recorder(clock)
    busy.hold = asyncio.Event()
    scheduler.every("busy", 1, busy)
    scheduler.every("idle", 60, idle, first_in=30)
    scheduler.at("offer:T-4", T0 + timedelta(seconds=30), timer)
    scheduler.start()
    await clock.run_for(2)

    stopping = asyncio.create_task(scheduler.stop())
    await clock.run_for(3)  # within the 5 s grace
    assert not stopping.done()
    busy.hold.set()
    await clock.run_for(0)

    assert stopping.done()
    assert busy.started == [0] and busy.finished == [5]  # finished, and no run after it
    assert idle.started == [] and timer.started == []
    assert clock.sleepers == 0
    assert "offer:T-4" not in scheduler and "busy" in scheduler  # timers are dropped


async def test_stop_cancels_a_run_that_outlasts_the_grace_period(clock, scheduler, caplog):
    stuck = Recorder(clock)
    stuck.hold = asyncio.Event()
    scheduler.every("stuck", 1, stuck)
    scheduler.start()
    await clock.run_for(0)

    stopping = asyncio.create_task(scheduler.stop())
    with caplog.at_level(logging.WARNING, logger="ticketflow_shared.scheduling"):
        await clock.run_for(5)

    assert stopping.done()
    assert stuck.started == [0] and stuck.finished == []
    assert "scheduled:stuck still running after 5.0 s" in caplog.text


async def test_a_stopped_scheduler_starts_again_with_its_periodic_jobs(clock, scheduler):
    job = Recorder(clock)
    scheduler.every("tick", 10, job)
    scheduler.start()
    await clock.run_for(1)
    await scheduler.stop()
    await clock.run_for(30)

    scheduler.start()
    await clock.run_for(10)

    assert job.started == [0, 31, 41]
