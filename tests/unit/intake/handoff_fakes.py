"""In-memory stand-ins for the handoff repositories."""

from intake.domain.handoffs import HandoffChecklist


class FakeChecklists:
    def __init__(self, *checklists: HandoffChecklist) -> None:
        self.stored = {c.department: c for c in checklists}

    async def get(self, department: str) -> HandoffChecklist | None:
        return self.stored.get(department)

    async def all(self) -> list[HandoffChecklist]:
        return [self.stored[name] for name in sorted(self.stored)]

    async def put(self, checklist: HandoffChecklist) -> None:
        self.stored[checklist.department] = checklist
