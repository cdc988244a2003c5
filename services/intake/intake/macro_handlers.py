"""Service layer for macros and an agent's changes to a ticket: who may see and edit which
macro, previewing one, and applying one to a ticket in a single save.

Everyone with a department reads the macros of their departments and those for everyone;
a supervisor writes those of their own departments; only an admin writes those for everyone.
A macro the caller may not read is as unknown as a missing one (404).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from intake.domain.categories import FieldValue
from intake.domain.errors import IntakeError, UnknownCategory
from intake.domain.macro_templates import TemplateInvalid
from intake.domain.macros import (
    Macro,
    MacroNotFound,
    MacroPreview,
    RenderedReply,
    apply_macro,
    preview_macro,
    render_macro,
)
from intake.domain.tags import InvalidTags
from intake.domain.ticket import Ticket
from intake.handlers import Clock, _change, now_ms, visible_ticket
from intake.handoff_handlers import owned_ticket
from intake.ports import CategoryRepository, MacroRepository, TicketRepository
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.errors import NotAllowed, problem
from ticketflow_shared.events import Priority


class MacroNotAllowed(IntakeError, NotAllowed):
    def __init__(self, department: str | None) -> None:
        whose = f"department {department}" if department else "every department (admins only)"
        super().__init__(f"you may not write macros for {whose}")


class UnknownMacroCategory(UnknownCategory):
    def __init__(self, category: str, index: int) -> None:
        super().__init__(category)
        self.index = index

    def problems(self) -> list[dict]:
        loc: list[str | int] = ["body", "categories", self.index]
        return [problem("unknown_category", loc, str(self), self.category)]


def may_read(caller: Principal, macro: Macro) -> bool:
    return macro.department is None or caller.scope().allows_department(macro.department)


def may_write(caller: Principal, department: str | None) -> bool:
    if caller.has(Role.admin):
        return True
    scope = caller.scope()
    return (
        caller.has(Role.supervisor)
        and department is not None
        and scope.allows_department(department)
    )


async def readable_macro(macros: MacroRepository, macro_id: str, caller: Principal) -> Macro:
    macro = await macros.get(macro_id)
    if macro is None or not may_read(caller, macro):
        raise MacroNotFound(macro_id)
    return macro


async def list_macros(
    macros: MacroRepository,
    caller: Principal,
    *,
    category: str | None = None,
    department: str | None = None,
) -> list[Macro]:
    """The caller's macros that apply to tickets of `category` and `department`."""
    return [
        macro
        for macro in await macros.all()
        if may_read(caller, macro) and macro.applies_to(category=category, department=department)
    ]


async def put_macro(
    macro: Macro, caller: Principal, macros: MacroRepository, categories: CategoryRepository
) -> bool:
    """Create or replace `macro` once it is valid; True if it was created."""
    existing = await macros.get(macro.id)
    if existing is not None:
        if not may_read(caller, existing):
            raise MacroNotFound(macro.id)
        if not may_write(caller, existing.department):
            raise MacroNotAllowed(existing.department)
    if not may_write(caller, macro.department):
        raise MacroNotAllowed(macro.department)
    macro.check()
    known = {rule.name for rule in await categories.all()}
    for index, category in enumerate(macro.categories):
        if category not in known:
            raise UnknownMacroCategory(category, index)
    return await macros.put(macro)


async def delete_macro(macro_id: str, caller: Principal, macros: MacroRepository) -> None:
    macro = await readable_macro(macros, macro_id, caller)
    if not may_write(caller, macro.department):
        raise MacroNotAllowed(macro.department)
    if not await macros.delete(macro_id):
        raise MacroNotFound(macro_id)


async def update_ticket(
    ticket_id: str,
    caller: Principal,
    tickets: TicketRepository,
    *,
    priority: Priority | None,
    tags: list[str] | None,
    fields: dict[str, FieldValue] | None = None,
    clock: Clock = now_ms,
) -> Ticket:
    """Change a ticket's priority, tags and/or fields (ticket.updated.v1); nothing if they
    are so. Only its owners change it (past owners and consulted departments get 403)."""
    await owned_ticket(tickets, ticket_id, caller.scope())

    def change(ticket: Ticket) -> bool:
        now = clock()
        labels = ticket.change_priority_tags(
            priority=priority, tags=tags, actor=caller.actor, now=now
        )
        filled = ticket.change_fields(fields or {}, actor=caller.actor, now=now)
        return labels or filled

    return await _change(tickets, ticket_id, change)


async def preview(
    ticket_id: str,
    macro_id: str,
    caller: Principal,
    tickets: TicketRepository,
    macros: MacroRepository,
) -> MacroPreview:
    macro = await readable_macro(macros, macro_id, caller)
    ticket = await visible_ticket(tickets, ticket_id, caller.scope())
    with _named_as_the_macro():
        return preview_macro(ticket, macro, _rendered(macro, ticket, caller))


async def apply(
    ticket_id: str,
    macro_id: str,
    caller: Principal,
    tickets: TicketRepository,
    macros: MacroRepository,
    clock: Clock = now_ms,
) -> Ticket:
    """Render the macro for the ticket as it is stored and apply it all in one save; only the
    ticket's owners apply one."""
    macro = await readable_macro(macros, macro_id, caller)
    await owned_ticket(tickets, ticket_id, caller.scope())

    def change(ticket: Ticket) -> bool:
        loaded_at = ticket.version
        apply_macro(ticket, macro, _rendered(macro, ticket, caller), caller.actor, clock())
        return ticket.version != loaded_at

    with _named_as_the_macro():
        return await _change(tickets, ticket_id, change)


@contextmanager
def _named_as_the_macro() -> Iterator[None]:
    """A macro whose reply does not render for this ticket, or whose tags would leave it
    with too many, is refused naming the macro (as MacroDoesNotApply is): the request to
    apply it has no body."""
    try:
        yield
    except (TemplateInvalid, InvalidTags) as exc:
        exc.loc = ("path", "macro_id")
        raise


def _rendered(macro: Macro, ticket: Ticket, caller: Principal) -> RenderedReply | None:
    agent_id = caller.id if caller.kind == "user" else None
    return render_macro(macro, ticket, agent_id, caller.name or caller.id)
