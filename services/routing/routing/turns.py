"""Events about one ticket handled one at a time within a process, in the order they came.

Intake publishes a solve as two events back to back (the status change to solved, then
ticket.resolved). Handled at once, both find the ticket still held: both release the claim,
record the resolution and drain the agent, and race each other for the slot they freed.
Taking turns, the second finds the work done and only records its position. This is about
cost alone: every handler stays safe beside others at once, in this process or another.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class _Turn:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class TicketTurns:
    """One lock per ticket with events in hand, dropped when the last of them is done."""

    def __init__(self) -> None:
        self._turns: dict[str, _Turn] = {}

    @asynccontextmanager
    async def of(self, ticket_id: str) -> AsyncIterator[None]:
        turn = self._turns.setdefault(ticket_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:  # asyncio's lock is fair: first come, first served
                yield
        finally:
            turn.users -= 1
            if not turn.users:
                del self._turns[ticket_id]

    def __len__(self) -> int:
        return len(self._turns)
