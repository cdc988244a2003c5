"""In-memory stand-ins for the handoff repositories."""

from typing import Literal

from intake_fakes import FakeTickets

from intake.domain.handoffs import HandoffChecklist
from intake.domain.ticket import Ticket
from ticketflow_shared.access.principal import Scope


class FakeChecklists:
    def __init__(self, *checklists: HandoffChecklist) -> None:
        self.stored = {c.department: c for c in checklists}

    async def get(self, department: str) -> HandoffChecklist | None:
        return self.stored.get(department)

    async def all(self) -> list[HandoffChecklist]:
        return [self.stored[name] for name in sorted(self.stored)]

    async def put(self, checklist: HandoffChecklist) -> None:
        self.stored[checklist.department] = checklist


class FakeHandoffViews:
    """The cross-ticket reads, over a FakeTickets' stored tickets."""

    def __init__(self, tickets: FakeTickets) -> None:
        self.tickets = tickets

    async def followed_by(self, agent_id: str, limit: int) -> tuple[list[Ticket], int]:
        return self._newest([t for t in self._all() if agent_id in t.ownership.followers], limit)

    async def consulting(
        self, scope: Scope, status: Literal["open", "answered"], limit: int
    ) -> tuple[list[Ticket], int]:
        found = [
            t
            for t in self._all()
            if any(c.status == status and scope.allows_department(c.department) for c in t.consults)
        ]
        return self._newest(found, limit)

    def _all(self) -> list[Ticket]:
        return list(self.tickets.stored.values())

    @staticmethod
    def _newest(found: list[Ticket], limit: int) -> tuple[list[Ticket], int]:
        found.sort(key=lambda t: t.updated_at, reverse=True)
        return found[:limit], len(found)
