"""Handoff checklists: what a department asks to be confirmed before it takes a ticket over,
and the check a transfer must pass (a note, and every required item ticked)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.domain.errors import IntakeError
from ticketflow_shared.errors import Conflict, NotAllowed, Unprocessable, problem


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    required: bool = True


@dataclass(frozen=True)
class HandoffChecklist:
    """A receiving department's items; a category's list replaces an item of the same key
    and adds the others."""

    department: str
    items: tuple[ChecklistItem, ...] = ()
    by_category: Mapping[str, tuple[ChecklistItem, ...]] = field(default_factory=dict)

    def items_for(self, category: str) -> tuple[ChecklistItem, ...]:
        merged = {item.key: item for item in self.items}
        merged.update((item.key, item) for item in self.by_category.get(category, ()))
        return tuple(merged.values())


class HandoffIncomplete(IntakeError, Unprocessable):
    """A transfer without its note, or with required items unticked or unknown ones ticked."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(entry["msg"] for entry in problems))
        self._problems = problems

    def problems(self) -> list[dict[str, Any]]:
        return self._problems


class AlreadyOwned(IntakeError, Conflict):
    def __init__(self, ticket_id: str, department: str) -> None:
        super().__init__(f"ticket {ticket_id} already belongs to {department}")
        self.ticket_id = ticket_id
        self.department = department


class NotTransferable(IntakeError, Conflict):
    def __init__(self, ticket_id: str, status: str) -> None:
        super().__init__(f"ticket {ticket_id} is {status}: only an open ticket is transferred")
        self.ticket_id = ticket_id


class NotOwner(IntakeError, NotAllowed):
    """Past owners and consulted departments read a ticket; only its owners change it."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} is another department's now: it can only be read")
        self.ticket_id = ticket_id


def require_handoff(
    checklist: HandoffChecklist | None, category: str, note: str | None, ticked: Iterable[str]
) -> None:
    """Raise HandoffIncomplete naming each thing missing: the note, each unticked required
    item, each ticked key the checklist does not have. Without a checklist only the note."""
    ticked = list(ticked)
    items = checklist.items_for(category) if checklist else ()
    department = checklist.department if checklist else "the receiving department"
    problems = []
    if not note or not note.strip():
        problems.append(problem("missing", ["body", "note"], "a handoff note is required"))
    known = {item.key for item in items}
    for item in items:
        if item.required and item.key not in ticked:
            msg = f"{department} requires {item.key!r} ({item.label}) to be confirmed"
            problems.append(problem("checklist_item_missing", ["body", "checklist", item.key], msg))
    for key in dict.fromkeys(ticked):
        if key not in known:
            msg = f"{key!r} is not on {department}'s handoff checklist"
            problems.append(problem("checklist_item_unknown", ["body", "checklist", key], msg))
    if problems:
        raise HandoffIncomplete(problems)
