"""A process's copy of a small collection, re-read at most every few seconds.

Rules, policies and settings that every ticket consults are read from such a copy rather
than from the store per ticket. The process's own writes `forget` the copy, so they take
effect at once there; another process's writes show within `refresh_seconds`.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RefreshedCopy(Generic[T]):
    """What `read` returned, kept for `refresh_seconds` from when that read began."""

    def __init__(
        self,
        read: Callable[[], Awaitable[T]],
        refresh_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._copy: T | None = None
        self._read_at: float | None = None
        self._reading: asyncio.Lock | None = None
        self._writes = 0  # this process's writes so far: a read begun before one is stale

    async def current(self) -> T:
        """The copy while fresh, else read again (once, however many callers wait on it)."""
        if self._fresh():
            return self._copy  # type: ignore[return-value]
        if self._reading is None:
            self._reading = asyncio.Lock()
        async with self._reading:
            if not self._fresh():
                started, writes = self._monotonic(), self._writes
                self._copy = await self._read()
                self._read_at = started if writes == self._writes else None
                return self._copy
        return self._copy  # type: ignore[return-value]

    def forget(self) -> None:
        """After a write of this process: the next `current` reads again."""
        self._writes += 1
        self._read_at = None

    def _fresh(self) -> bool:
        return (
            self._read_at is not None and self._monotonic() - self._read_at < self.refresh_seconds
        )
