"""The per-process copy of a small collection: kept while fresh, read again after the
interval or after this process's own write, and read once for many waiting callers."""

import asyncio

from ticketflow_shared.refreshed import RefreshedCopy


class Source:
    """What the store holds, how often it was read, and a clock the test moves."""

    def __init__(self) -> None:
        self.value, self.reads, self.now = "v1", 0, 100.0
        self.during_read: asyncio.Event | None = None
        self.release_read = asyncio.Event()
        self.release_read.set()

    async def read(self) -> str:
        self.reads += 1
        seen = self.value
        if self.during_read is not None:
            self.during_read.set()
        await self.release_read.wait()
        return seen


def copy_of(source: Source, seconds: float = 2.0) -> RefreshedCopy[str]:
    return RefreshedCopy(source.read, seconds, monotonic=lambda: source.now)


async def test_the_copy_answers_until_the_interval_has_passed():
    source = Source()
    copy = copy_of(source)
    assert await copy.current() == "v1"
    source.value = "v2"  # another process's write
    source.now += 1.9
    assert await copy.current() == "v1"
    source.now += 0.2
    assert await copy.current() == "v2"
    assert source.reads == 2


async def test_an_own_write_is_seen_at_once():
    source = Source()
    copy = copy_of(source)
    await copy.current()
    source.value = "v2"
    copy.forget()
    assert await copy.current() == "v2"


async def test_a_read_begun_before_an_own_write_is_not_kept():
    source = Source()
    copy = copy_of(source)
    source.during_read, source.release_read = asyncio.Event(), asyncio.Event()
    reading = asyncio.create_task(copy.current())
    await source.during_read.wait()
    source.value = "v2"
    copy.forget()  # written while the read was under way
    source.release_read.set()
    assert await reading == "v1"
    source.during_read = None
    assert await copy.current() == "v2"


async def test_callers_waiting_together_share_one_read():
    source = Source()
    copy = copy_of(source)
    source.release_read = asyncio.Event()
    waiting = [asyncio.create_task(copy.current()) for _ in range(10)]
    await asyncio.sleep(0)
    source.release_read.set()
    assert await asyncio.gather(*waiting) == ["v1"] * 10
    assert source.reads == 1
