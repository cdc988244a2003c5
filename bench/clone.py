"""Copies of a seed ticket's documents under new ids and times, written with `insert_many`.

A seed is one ticket that went through the running platform; its documents in every service's
database are the templates. A copy replaces, in every string (ids nested in other ids
included, e.g. a delivery `<event id>:email`), each of the seed's tokens (ticket id, event
ids, customer address) with the copy's own, and moves every date by the same amount, so
durations (time to assign, to notify) stay as measured.
"""

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

Build = Callable[["Copy"], Any]
BATCH = 1000
INSERTS_AT_ONCE = 4


@dataclass
class Copy:
    """One copy's new tokens and its time shift."""

    tokens: dict[str, str]
    shift: timedelta
    pattern: re.Pattern[str]

    def text(self, value: str) -> str:
        return self.pattern.sub(lambda match: self.tokens[match.group()], value)


def token_pattern(tokens: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def compile_template(value: Any, pattern: re.Pattern[str]) -> Build:
    """A function building a copy of `value`; parts without tokens or dates are shared."""
    if isinstance(value, datetime):
        return lambda copy: value + copy.shift
    if isinstance(value, str):
        return (lambda copy: copy.text(value)) if pattern.search(value) else _constant(value)
    if isinstance(value, dict):
        parts = [
            (compile_template(k, pattern), compile_template(v, pattern)) for k, v in value.items()
        ]
        if all(_is_constant(key) and _is_constant(part) for key, part in parts):
            return _constant(value)
        return lambda copy: {key(copy): part(copy) for key, part in parts}
    if isinstance(value, list):
        items = [compile_template(item, pattern) for item in value]
        if all(_is_constant(item) for item in items):
            return _constant(value)
        return lambda copy: [item(copy) for item in items]
    return _constant(value)


def _constant(value: Any) -> Build:
    build = lambda copy: value  # noqa: E731
    build.constant = True  # type: ignore[attr-defined]
    return build


def _is_constant(build: Build) -> bool:
    return getattr(build, "constant", False)


@dataclass
class Writer:
    """Buffers documents per collection and inserts them in batches, a few at a time."""

    databases: dict[str, AsyncDatabase]
    buffers: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    written: dict[tuple[str, str], int] = field(default_factory=dict)
    pending: set[asyncio.Task] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(INSERTS_AT_ONCE)

    async def add(self, service: str, collection: str, doc: dict) -> None:
        if self.errors:
            raise self.errors[0]
        key = (service, collection)
        buffer = self.buffers.setdefault(key, [])
        buffer.append(doc)
        if len(buffer) >= BATCH:
            await self._flush(key)

    async def _flush(self, key: tuple[str, str]) -> None:
        batch, self.buffers[key] = self.buffers[key], []
        if not batch:
            return
        await self.slots.acquire()
        task = asyncio.create_task(self._insert(key, batch))
        self.pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.errors.append(task.exception())

    async def _insert(self, key: tuple[str, str], batch: list[dict]) -> None:
        try:
            service, collection = key
            await self.databases[service][collection].insert_many(batch, ordered=False)
            self.written[key] = self.written.get(key, 0) + len(batch)
        finally:
            self.slots.release()

    async def close(self) -> None:
        for key in list(self.buffers):
            await self._flush(key)
        await asyncio.gather(*self.pending, return_exceptions=True)
        if self.errors:
            raise self.errors[0]
