"""What the handlers need from storage; MongoDB adapters and test fakes both fit."""

from datetime import datetime, timedelta
from typing import Protocol

from intake.domain.categories import CategoryRule
from intake.domain.macros import Macro
from intake.domain.procedure import ProcedureStep
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.access.principal import Scope


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> None:
        """Insert the ticket with its recorded events; raise TicketIdTaken if the id exists."""

    async def get(self, ticket_id: str) -> Ticket | None: ...

    async def save(self, ticket: Ticket, expected_version: int) -> None:
        """Write changes and recorded events; raise ConcurrentUpdate unless the stored ticket
        is still at `expected_version` (the version it was loaded at)."""

    async def for_agent(
        self, agent_id: str, statuses: tuple[TicketStatus, ...], limit: int
    ) -> list[Ticket]:
        """At most `limit` of the tickets `agent_id` owns in one of `statuses`, in any order."""

    async def due_to_close(self, solved_by: datetime, limit: int) -> list[str]:
        """Ids of at most `limit` tickets solved at or before `solved_by`, oldest first."""

    async def find(
        self,
        *,
        status: TicketStatus | None,
        customer_email: str | None,
        limit: int,
        scope: Scope = ...,
    ) -> tuple[list[Ticket], int]:
        """Newest first, at most `limit`, of the tickets `scope` sees; and how many match."""


class CategoryRepository(Protocol):
    async def get(self, name: str) -> CategoryRule | None: ...

    async def all(self) -> list[CategoryRule]: ...

    async def put(self, rule: CategoryRule) -> None: ...

    async def put_procedure(self, name: str, steps: tuple[ProcedureStep, ...]) -> bool:
        """Replace the category's procedure; False if there is no such category."""


class CloseClaims(Protocol):
    async def claim(self, ticket_id: str, version: int, now: datetime, lease: timedelta) -> bool:
        """Whether this caller, and no other, may close the ticket at `version`."""

    async def forget_before(self, before: datetime) -> int: ...


class MacroRepository(Protocol):
    async def get(self, macro_id: str) -> Macro | None: ...

    async def all(self) -> list[Macro]: ...

    async def put(self, macro: Macro) -> bool:
        """Create or replace the macro; True if it was created."""

    async def delete(self, macro_id: str) -> bool:
        """True if there was a macro to delete."""
