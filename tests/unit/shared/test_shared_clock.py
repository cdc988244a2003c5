"""The clock: the system one tells UTC, the fake one moves only when a test moves it."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ticketflow_shared.clock import SYSTEM_CLOCK
from ticketflow_shared.testing import START, FakeClock

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_the_system_clock_tells_utc():
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


async def test_the_system_clock_sleeps_on_the_event_loop():
    await SYSTEM_CLOCK.sleep(0)  # returns: the real sleep, nothing to drive


def test_a_fake_clock_stands_still_until_advanced():
    clock = FakeClock(T0)
    assert clock.now() == clock.now() == T0

    clock.advance(timedelta(minutes=5))
    clock.advance(1.5)

    assert clock.now() == T0 + timedelta(minutes=5, seconds=1.5)
    assert FakeClock().now() == START


def test_a_fake_clock_with_a_tick_gives_every_reading_its_own_time():
    clock = FakeClock(T0, tick=timedelta(seconds=1))
    assert [clock.now(), clock.now()] == [T0, T0 + timedelta(seconds=1)]


def test_a_fake_clock_refuses_a_naive_start_and_going_back():
    with pytest.raises(ValueError):
        FakeClock(datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        FakeClock(T0).advance(-1)


async def test_a_sleeper_wakes_only_once_its_time_has_passed():
    clock = FakeClock(T0)
    sleeper = asyncio.create_task(clock.sleep(10))
    await clock.run_for(9.999)
    assert not sleeper.done() and clock.sleepers == 1

    await clock.run_for(0.001)

    assert sleeper.done() and clock.sleepers == 0
    assert clock.now() == T0 + timedelta(seconds=10)


async def test_advance_jumps_and_wakes_what_it_passed_at_the_next_await():
    clock = FakeClock(T0)
    woke_at: list[datetime] = []

    async def nap(seconds: float) -> None:
        await clock.sleep(seconds)
        woke_at.append(clock.now())

    naps = [asyncio.create_task(nap(s)) for s in (30, 10, 90)]
    await clock.run_for(0)
    clock.advance(60)
    await clock.run_for(0)

    assert woke_at == [T0 + timedelta(seconds=60)] * 2  # both woke at the time jumped to
    assert not naps[2].done()
    naps[2].cancel()
    assert clock.sleepers == 0


async def test_run_for_stops_at_each_deadline_on_the_way():
    clock = FakeClock(T0)
    ticks: list[float] = []

    async def every_two_seconds() -> None:
        while True:
            await clock.sleep(2)
            ticks.append((clock.now() - T0).total_seconds())

    task = asyncio.create_task(every_two_seconds())
    await clock.run_for(10)
    task.cancel()

    assert ticks == [2, 4, 6, 8, 10]
    assert clock.now() == T0 + timedelta(seconds=10)
