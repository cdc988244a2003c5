"""What the handoff handlers and views need from storage; MongoDB adapters and fakes fit."""

from typing import Literal, Protocol

from intake.domain.handoffs import HandoffChecklist
from intake.domain.ticket import Ticket
from ticketflow_shared.access.principal import Scope


class ChecklistRepository(Protocol):
    async def get(self, department: str) -> HandoffChecklist | None: ...

    async def all(self) -> list[HandoffChecklist]: ...

    async def put(self, checklist: HandoffChecklist) -> None: ...


class HandoffViews(Protocol):
    async def followed_by(self, agent_id: str, limit: int) -> tuple[list[Ticket], int]:
        """Tickets `agent_id` follows, most recently changed first, and how many in all."""

    async def consulting(
        self, scope: Scope, status: Literal["open", "answered"], limit: int
    ) -> tuple[list[Ticket], int]:
        """Tickets with a consult in `status` for a department `scope` covers."""
