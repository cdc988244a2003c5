"""HTTP shapes for handoffs: checklists, transfers, consults, and the lists around them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from intake.domain.handoffs import ChecklistItem, HandoffChecklist
from intake.domain.ticket import Ticket, TicketStatus
from intake.schemas import CategoryName, ConsultRead, Lines, OneLine, Text

ItemKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
Department = Annotated[str, Text, StringConstraints(max_length=100), OneLine]
Skill = Annotated[str, Text, StringConstraints(max_length=50), OneLine]
Message = Annotated[str, Text, StringConstraints(max_length=5_000), Lines]
# May be blank here: the domain names a missing note along with the missing items.
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5_000), Lines]
MAX_ITEMS = 30


class ChecklistItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    key: ItemKey
    label: Annotated[str, Text, StringConstraints(max_length=200), OneLine]
    required: bool = True


Items = Annotated[list[ChecklistItemBody], Field(max_length=MAX_ITEMS)]


def _unique_keys(items: list[ChecklistItemBody]) -> list[ChecklistItemBody]:
    keys = [item.key for item in items]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"item keys listed more than once: {', '.join(repeated)}")
    return items


class ChecklistUpdate(BaseModel):
    """A receiving department's items; `by_category` replaces items of the same key, or adds
    items, for tickets of that category."""

    model_config = ConfigDict(extra="forbid")

    items: Items = Field(default_factory=list)
    by_category: dict[CategoryName, Items] = Field(default_factory=dict, max_length=50)

    @field_validator("items")
    @classmethod
    def _unique_items(cls, items: list[ChecklistItemBody]) -> list[ChecklistItemBody]:
        return _unique_keys(items)

    @field_validator("by_category")
    @classmethod
    def _unique_per_category(
        cls, lists: dict[str, list[ChecklistItemBody]]
    ) -> dict[str, list[ChecklistItemBody]]:
        for category, items in lists.items():
            try:
                _unique_keys(items)
            except ValueError as exc:
                raise ValueError(f"{category}: {exc}") from exc
        return lists

    def to_checklist(self, department: str) -> HandoffChecklist:
        return HandoffChecklist(
            department,
            _items(self.items),
            {category: _items(items) for category, items in self.by_category.items()},
        )


def _items(items: list[ChecklistItemBody]) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(i.key, i.label, i.required) for i in items)


class ChecklistRead(BaseModel):
    department: str
    items: list[ChecklistItemBody]
    by_category: dict[str, list[ChecklistItemBody]]

    @classmethod
    def of(cls, checklist: HandoffChecklist) -> "ChecklistRead":
        return cls(
            department=checklist.department,
            items=[ChecklistItemBody.model_validate(i) for i in checklist.items],
            by_category={
                category: [ChecklistItemBody.model_validate(i) for i in items]
                for category, items in checklist.by_category.items()
            },
        )


class ChecklistList(BaseModel):
    data: list[ChecklistRead]
    count: int


class TransferBody(BaseModel):
    """`note` and the receiving department's required items are checked together, so a
    refusal names every one missing."""

    model_config = ConfigDict(extra="forbid")

    department: Department
    skill: Skill | None = None
    note: Note | None = None
    checklist: list[ItemKey] = Field(default_factory=list, max_length=100)


class ConsultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    question: Message


class ConsultAnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Message


class ConsultRequestRead(ConsultRead):
    """A consult with the ticket it is about, as the consulted department sees its requests."""

    ticket_id: str
    ticket_status: TicketStatus
    ticket_department: str | None


class ConsultRequestList(BaseModel):
    data: list[ConsultRequestRead]
    count: int = Field(description="Tickets with matching consults, before the limit")


def consult_requests(
    tickets: list[Ticket], status: str, departments: frozenset[str] | None
) -> list[ConsultRequestRead]:
    """Each ticket's consults in `status` for `departments` (None: any)."""
    return [
        ConsultRequestRead(
            **ConsultRead.model_validate(consult).model_dump(),
            ticket_id=ticket.id,
            ticket_status=ticket.status,
            ticket_department=ticket.department,
        )
        for ticket in tickets
        for consult in ticket.consults
        if consult.status == status and (departments is None or consult.department in departments)
    ]


class FollowedTicket(BaseModel):
    id: str
    status: TicketStatus
    department: str | None
    agent_id: str | None = Field(description="Who owns it now")
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> "FollowedTicket":
        agent = ticket.assignee.agent_id if ticket.assignee else None
        return cls(
            id=ticket.id,
            status=ticket.status,
            department=ticket.department,
            agent_id=agent,
            updated_at=ticket.updated_at,
        )


class FollowingList(BaseModel):
    data: list[FollowedTicket]
    count: int
