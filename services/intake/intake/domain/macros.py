"""Macros: canned replies and ticket changes as data, applied by an agent in one step.

A macro belongs to a department (None: everyone's) and may be limited to some categories.
Applying one changes the ticket's priority and tags, posts its rendered reply and sets its
status, all on the one loaded ticket, so the handler saves it once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.domain.errors import IntakeError
from intake.domain.macro_templates import check_reply, render_reply, reply_context
from intake.domain.tags import checked_tags, retagged
from intake.domain.ticket import Ticket
from ticketflow_shared.errors import NotFound, Unprocessable, problem
from ticketflow_shared.events import AuthorKind, Priority, TicketStatus, Visibility

# What a macro may set: the statuses an agent moves a ticket to.
MACRO_STATUSES = (
    TicketStatus.pending,
    TicketStatus.on_hold,
    TicketStatus.open,
    TicketStatus.solved,
)


class MacroNotFound(IntakeError, NotFound):
    def __init__(self, macro_id: str) -> None:
        super().__init__(f"macro {macro_id} not found")
        self.macro_id = macro_id


class MacroInvalid(IntakeError, Unprocessable):
    def __init__(self, message: str, loc: tuple[str | int, ...] = ("body",)) -> None:
        super().__init__(message)
        self.loc = loc

    def problems(self) -> list[dict[str, Any]]:
        return [problem("macro_invalid", list(self.loc), str(self))]


class MacroDoesNotApply(IntakeError, Unprocessable):
    """The macro is for another department's or category's tickets."""

    def __init__(self, macro: "Macro", ticket: Ticket) -> None:
        super().__init__(
            f"macro {macro.id} is not for {ticket.category} tickets of "
            f"{ticket.department or 'no department'}"
        )

    def problems(self) -> list[dict[str, Any]]:
        return [problem("macro_does_not_apply", ["path", "macro_id"], str(self))]


@dataclass(frozen=True)
class MacroReply:
    body: str
    visibility: Visibility = Visibility.public


@dataclass(frozen=True)
class Macro:
    id: str
    title: str
    department: str | None = None
    categories: tuple[str, ...] = ()
    reply: MacroReply | None = None
    set_status: TicketStatus | None = None
    set_priority: Priority | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None

    def applies_to(self, *, category: str | None = None, department: str | None = None) -> bool:
        """Whether the macro is for tickets of `category` and `department` (None: any)."""
        in_category = category is None or not self.categories or category in self.categories
        in_department = department is None or self.department in (None, department)
        return in_category and in_department

    def check(self) -> None:
        """MacroInvalid or TemplateInvalid unless the macro can be saved as it is."""
        if not (self.reply or self.set_status or self.set_priority or self.changes_tags):
            raise MacroInvalid(
                "a macro must do something: reply, set_status, set_priority or change tags"
            )
        if self.set_status is not None and self.set_status not in MACRO_STATUSES:
            raise MacroInvalid(
                f"set_status must be one of {', '.join(MACRO_STATUSES)}", ("body", "set_status")
            )
        both = sorted(set(self.add_tags) & set(self.remove_tags))
        if both:
            raise MacroInvalid(f"both added and removed: {', '.join(both)}", ("body", "add_tags"))
        checked_tags(self.add_tags)
        checked_tags(self.remove_tags)
        if self.reply is not None:
            check_reply(self.reply.body)

    @property
    def changes_tags(self) -> bool:
        return bool(self.add_tags or self.remove_tags)


@dataclass(frozen=True)
class RenderedReply:
    """A macro's reply as written for one ticket by one agent."""

    body: str
    visibility: Visibility
    agent_id: str | None = None
    agent_name: str | None = None


@dataclass(frozen=True)
class MacroPreview:
    reply: RenderedReply | None
    status: TicketStatus
    priority: Priority
    tags: list[str]


def render_macro(
    macro: Macro, ticket: Ticket, agent_id: str | None, agent_name: str | None
) -> RenderedReply | None:
    """The macro's reply for `ticket`, or None when it has none; MacroDoesNotApply if the macro
    is not for this ticket, TemplateInvalid if the reply cannot be written for it."""
    if not macro.applies_to(category=ticket.category, department=ticket.department):
        raise MacroDoesNotApply(macro, ticket)
    if macro.reply is None:
        return None
    context = reply_context(ticket, agent_id, agent_name)
    body = render_reply(macro.reply.body, context)
    return RenderedReply(body, macro.reply.visibility, agent_id, agent_name)


def preview_macro(ticket: Ticket, macro: Macro, rendered: RenderedReply | None) -> MacroPreview:
    """What applying would leave the ticket at; changes nothing."""
    return MacroPreview(
        reply=rendered,
        status=macro.set_status or ticket.status,
        priority=macro.set_priority or ticket.priority,
        tags=retagged(ticket.tags, macro.add_tags, macro.remove_tags),
    )


def apply_macro(
    ticket: Ticket, macro: Macro, rendered: RenderedReply | None, actor: str, now: datetime
) -> None:
    """Priority and tags, then the reply, then the status: each records its own event(s)."""
    tags = retagged(ticket.tags, macro.add_tags, macro.remove_tags) if macro.changes_tags else None
    ticket.change_priority_tags(priority=macro.set_priority, tags=tags, actor=actor, now=now)
    if rendered is not None:
        ticket.add_message(
            body=rendered.body,
            visibility=rendered.visibility,
            author=actor,
            author_kind=AuthorKind.agent,
            author_name=rendered.agent_name,
            now=now,
            agent_id=rendered.agent_id,
        )
    if macro.set_status is not None and macro.set_status is not ticket.status:
        ticket.change_status(macro.set_status, actor=actor, reason=f"macro {macro.id}", now=now)
