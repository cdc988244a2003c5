"""HTTP shapes for macros and for an agent's changes to a ticket's priority and tags."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from intake.domain.macro_templates import MAX_TEMPLATE_CHARS
from intake.domain.macros import Macro, MacroReply
from intake.domain.tags import MAX_TAGS, TAG_PATTERN
from intake.schemas import CategoryName, FieldName, FieldValue, Lines, OneLine, Text
from ticketflow_shared.events import Priority, TicketStatus, Visibility

MacroId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


def _tag(value: str) -> str:
    tag = value.strip().lower()
    if not re.fullmatch(TAG_PATTERN, tag):
        raise PydanticCustomError("tag", "A tag must match {pattern}", {"pattern": TAG_PATTERN})
    return tag


Tag = Annotated[str, StringConstraints(max_length=100), AfterValidator(_tag)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
MacroStatus = Literal["pending", "on_hold", "open", "solved"]


class ReplyTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_TEMPLATE_CHARS),
        Lines,
        Field(description="Jinja2: `ticket`, `customer` and `agent`; see the README"),
    ]
    visibility: Visibility = Visibility.public


class MacroUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Text, StringConstraints(max_length=200), OneLine]
    department: Annotated[str, Text, StringConstraints(max_length=100), OneLine] | None = Field(
        default=None, description="None: a macro for every department"
    )
    categories: list[CategoryName] = Field(
        default_factory=list, max_length=50, description="Empty: every category"
    )
    reply: ReplyTemplate | None = None
    set_status: MacroStatus | None = None
    set_priority: Priority | None = None
    add_tags: Tags = Field(default_factory=list)
    remove_tags: Tags = Field(default_factory=list)

    def to_macro(self, macro_id: str, *, by: str, at: datetime) -> Macro:
        reply = MacroReply(self.reply.body, self.reply.visibility) if self.reply else None
        return Macro(
            id=macro_id,
            title=self.title,
            department=self.department,
            categories=tuple(dict.fromkeys(self.categories)),
            reply=reply,
            set_status=TicketStatus(self.set_status) if self.set_status else None,
            set_priority=self.set_priority,
            add_tags=tuple(dict.fromkeys(self.add_tags)),
            remove_tags=tuple(dict.fromkeys(self.remove_tags)),
            updated_at=at,
            updated_by=by,
        )


class ReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    body: str
    visibility: Visibility


class MacroRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    department: str | None
    categories: list[str]
    reply: ReplyRead | None
    set_status: TicketStatus | None
    set_priority: Priority | None
    add_tags: list[str]
    remove_tags: list[str]
    updated_at: datetime | None
    updated_by: str | None


class MacroList(BaseModel):
    data: list[MacroRead]
    count: int


class MacroPreviewRead(BaseModel):
    """What applying the macro would do; nothing has changed."""

    model_config = ConfigDict(from_attributes=True)

    reply: ReplyRead | None
    status: TicketStatus
    priority: Priority
    tags: list[str]


class TicketUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority | None = None
    tags: Tags | None = Field(default=None, description="The ticket's tags from now on")
    fields: dict[FieldName, FieldValue] | None = Field(
        default=None, max_length=50, description="Fields to set; the others stay as they are"
    )

    @model_validator(mode="after")
    def _changes_something(self) -> "TicketUpdate":
        if self.priority is None and self.tags is None and not self.fields:
            raise ValueError("give priority, tags, fields or some of them")
        return self
