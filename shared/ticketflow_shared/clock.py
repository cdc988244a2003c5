"""The one clock every service reads time from.

Handlers and background jobs take the time from a `Clock` and pass it down; nothing below
them reads the wall clock, so a test moves time (`ticketflow_shared.testing.FakeClock`)
instead of sleeping, and an offer timeout or an SLA timer can be tested in microseconds.
"""

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, in UTC and timezone-aware."""

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` have passed on this clock."""


class SystemClock:
    """The real time: the wall clock for `now`, the event loop's timers for `sleep`."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
