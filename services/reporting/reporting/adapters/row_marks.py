"""What a lone reporting process on FerretDB knows of the rows it wrote, so that its guarded
updates go by `_id` without the read the store layer would make to check the guard.

Only such a process sees every write of its collection (`lone_on_ferretdb`), so what it
learned from one read of a row and from its own writes since stays true until it forgets the
row: least recently used first, and at once after a write that failed. Elsewhere nothing is
kept and the guards go to the server as written.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from reporting.domain.changes import TicketChange, applied_sequence, marks_after
from ticketflow_shared.events import is_newer
from ticketflow_shared.recent import Recent

KEPT_ROWS = 20_000


class RowMarks:
    """Each known row's marks (`reporting.domain.changes.marks_of`), by ticket id."""

    def __init__(self, kept: int = KEPT_ROWS) -> None:
        self._marks: Recent[str, dict[str, Any]] = Recent(kept)
        self._busy: dict[str, _Turns] = {}

    def get(self, ticket_id: str) -> dict[str, Any] | None:
        return self._marks.get(ticket_id)

    def learn(self, ticket_id: str, marks: dict[str, Any]) -> None:
        self._marks.put(ticket_id, marks)

    def applied(self, change: TicketChange) -> None:
        """Record a write of `change` that the store took."""
        marks = self._marks.get(change.ticket_id)
        if marks is not None:
            self.learn(change.ticket_id, marks_after(marks, change))

    def forget(self, ticket_id: str) -> None:
        self._marks.forget(ticket_id)

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, ticket_id: str) -> AsyncIterator[None]:
        """One change of a row at a time, so a read that teaches its marks and the write that
        follows see no other change of that row in between."""
        held = self._busy.setdefault(ticket_id, _Turns())
        held.users += 1
        try:
            async with held.lock:
                yield
        finally:
            held.users -= 1
            if not held.users:
                del self._busy[ticket_id]


def guard_passes(marks: dict[str, Any], change: TicketChange) -> bool:
    """Whether the row these marks belong to passes the guard of `change`'s update (see
    `reporting.adapters.tickets`): its key not taken yet, or its sequence above the mark."""
    if change.once is not None:
        return change.once not in marks.get(change.once_in, [])
    return is_newer(change.sequence, applied_sequence(marks, change.producer))


class _Turns:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0
