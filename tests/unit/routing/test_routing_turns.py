"""Events about one ticket take turns in a process; events about others do not wait."""

import asyncio

from routing.turns import TicketTurns


async def test_events_about_one_ticket_take_turns_in_the_order_they_came():
    turns, order = TicketTurns(), []
    first_in = asyncio.Event()

    async def handle(name: str, ticket_id: str, hold: asyncio.Event | None = None) -> None:
        async with turns.of(ticket_id):
            order.append(f"{name} starts")
            if hold is not None:
                first_in.set()
                await hold.wait()
            order.append(f"{name} ends")

    release = asyncio.Event()
    solved = asyncio.create_task(handle("solved", "T-1", release))
    await first_in.wait()
    resolved = asyncio.create_task(handle("resolved", "T-1"))
    other = asyncio.create_task(handle("other", "T-2"))
    await other  # another ticket's event does not wait for T-1's
    release.set()
    await asyncio.gather(solved, resolved)

    assert order == [
        "solved starts",
        "other starts",
        "other ends",
        "solved ends",
        "resolved starts",
        "resolved ends",
    ]
    assert len(turns) == 0  # nothing kept once a ticket has no event in hand


async def test_a_failing_handler_hands_the_turn_on():
    turns = TicketTurns()

    async def fail() -> None:
        async with turns.of("T-1"):
            raise RuntimeError("store down")

    first = asyncio.create_task(fail())
    await asyncio.sleep(0)
    async with asyncio.timeout(1), turns.of("T-1"):
        pass
    assert isinstance(first.exception(), RuntimeError)
    assert len(turns) == 0
