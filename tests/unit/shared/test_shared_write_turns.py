"""A collection's writes on FerretDB take turns; a write made ahead goes before those waiting."""

import asyncio

from ticketflow_shared.serialized import SerializedDatabase, WriteTurns, ahead_of_queued_writes


class Recorder:
    """Writers that note when they hold the turn; the first one holds it until released."""

    def __init__(self, turns: WriteTurns) -> None:
        self.turns = turns
        self.order: list[str] = []
        self.held = 0
        self.most_held = 0
        self.release_first = asyncio.Event()

    async def write(self, name: str, *, ahead: bool = False) -> None:
        if ahead:
            with ahead_of_queued_writes():
                await self._write(name)
        else:
            await self._write(name)

    async def _write(self, name: str) -> None:
        async with self.turns:
            self.held += 1
            self.most_held = max(self.most_held, self.held)
            self.order.append(name)
            if len(self.order) == 1:
                await self.release_first.wait()
            await asyncio.sleep(0)
            self.held -= 1


async def _queued(recorder: Recorder, *writes: tuple[str, bool]) -> list[asyncio.Task[None]]:
    tasks = []
    for name, ahead in writes:
        tasks.append(asyncio.create_task(recorder.write(name, ahead=ahead)))
        await asyncio.sleep(0)  # each one in line before the next
    return tasks


async def test_writes_take_turns_in_arrival_order_one_at_a_time():
    recorder = Recorder(WriteTurns())
    tasks = await _queued(recorder, *((f"w{n}", False) for n in range(5)))
    recorder.release_first.set()
    await asyncio.gather(*tasks)
    assert recorder.order == ["w0", "w1", "w2", "w3", "w4"]
    assert recorder.most_held == 1


async def test_a_write_made_ahead_goes_after_the_one_under_way_and_before_those_waiting():
    recorder = Recorder(WriteTurns())
    tasks = await _queued(
        recorder, ("under way", False), ("w1", False), ("w2", False), ("record", True)
    )
    tasks += await _queued(recorder, ("w3", False), ("record 2", True))
    recorder.release_first.set()
    await asyncio.gather(*tasks)
    assert recorder.order == ["under way", "record", "record 2", "w1", "w2", "w3"]
    assert recorder.most_held == 1


async def test_being_ahead_ends_with_its_block():
    turns = WriteTurns()
    recorder = Recorder(turns)
    first = await _queued(recorder, ("under way", False))
    with ahead_of_queued_writes():
        pass
    tasks = first + await _queued(recorder, ("w1", False), ("w2", False))
    recorder.release_first.set()
    await asyncio.gather(*tasks)
    assert recorder.order == ["under way", "w1", "w2"]


async def test_a_writer_cancelled_while_waiting_or_as_its_turn_came_stalls_nobody():
    turns = WriteTurns()
    recorder = Recorder(turns)
    tasks = await _queued(recorder, ("under way", False), ("gone", False), ("next", False))
    tasks[1].cancel()  # cancelled while in line
    await asyncio.sleep(0)
    recorder.release_first.set()
    await asyncio.gather(tasks[0], tasks[2])
    assert recorder.order == ["under way", "next"]

    async with turns:  # handed the turn at the moment it is cancelled
        late = asyncio.create_task(recorder.write("late"))
        after = asyncio.create_task(recorder.write("after"))
        await asyncio.sleep(0)
    late.cancel()
    await asyncio.wait_for(after, timeout=1)
    assert recorder.order[-1] == "after"


async def test_each_collection_has_its_own_turns():
    db = SerializedDatabase(database=None)  # type: ignore[arg-type]  # turns need no server
    assert db.lock_for("deliveries") is db.lock_for("deliveries")
    assert db.lock_for("deliveries") is not db.lock_for("tickets")
