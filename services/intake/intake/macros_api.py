"""Thin HTTP routes for macros, and for an agent's changes to a ticket that macros also make."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from intake import macro_handlers
from intake.api import Categories, Tickets
from intake.handlers import now_ms
from intake.macro_schemas import (
    MacroId,
    MacroList,
    MacroPreviewRead,
    MacroRead,
    MacroUpdate,
    TicketUpdate,
)
from intake.ports import MacroRepository
from intake.schemas import TicketRead
from ticketflow_shared.access.guard import TicketWorker, allow
from ticketflow_shared.access.principal import Principal, Role


def _macros(request: Request) -> MacroRepository:
    return request.app.state.macros


Macros = Annotated[MacroRepository, Depends(_macros)]
MacroWriter = Annotated[Principal, Depends(allow(Role.admin, Role.supervisor))]
MacroPath = Annotated[str, Path(max_length=64)]

macros_router = APIRouter(prefix="/macros", tags=["macros"])
ticket_macros_router = APIRouter(prefix="/tickets", tags=["tickets"])


@macros_router.get("", summary="The macros you may use, filtered to what applies")
async def list_macros(
    macros: Macros,
    caller: TicketWorker,
    category: Annotated[str | None, Query(max_length=50)] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
) -> MacroList:
    found = await macro_handlers.list_macros(
        macros, caller, category=category, department=department
    )
    return MacroList(data=[MacroRead.model_validate(m) for m in found], count=len(found))


@macros_router.get("/{macro_id}", summary="One macro")
async def get_macro(macro_id: MacroPath, macros: Macros, caller: TicketWorker) -> MacroRead:
    return MacroRead.model_validate(await macro_handlers.readable_macro(macros, macro_id, caller))


@macros_router.put(
    "/{macro_id}",
    summary="Create or replace a macro",
    responses={201: {"description": "Created"}, 422: {"description": "Names what is wrong"}},
)
async def put_macro(
    macro_id: MacroId,
    body: MacroUpdate,
    response: Response,
    macros: Macros,
    categories: Categories,
    caller: MacroWriter,
) -> MacroRead:
    macro = body.to_macro(macro_id, by=caller.actor, at=now_ms())
    if await macro_handlers.put_macro(macro, caller, macros, categories):
        response.status_code = 201
    return MacroRead.model_validate(macro)


@macros_router.delete("/{macro_id}", status_code=204, summary="Delete a macro")
async def delete_macro(macro_id: MacroPath, macros: Macros, caller: MacroWriter) -> None:
    await macro_handlers.delete_macro(macro_id, caller, macros)


@ticket_macros_router.patch("/{ticket_id}", summary="Change a ticket's priority, tags, fields")
async def update_ticket(
    ticket_id: str, body: TicketUpdate, tickets: Tickets, caller: TicketWorker
) -> TicketRead:
    ticket = await macro_handlers.update_ticket(
        ticket_id, caller, tickets, priority=body.priority, tags=body.tags, fields=body.fields
    )
    return TicketRead.model_validate(ticket)


@ticket_macros_router.post(
    "/{ticket_id}/macros/{macro_id}/preview", summary="What applying a macro would do"
)
async def preview_macro(
    ticket_id: str, macro_id: MacroPath, tickets: Tickets, macros: Macros, caller: TicketWorker
) -> MacroPreviewRead:
    found = await macro_handlers.preview(ticket_id, macro_id, caller, tickets, macros)
    return MacroPreviewRead.model_validate(found)


@ticket_macros_router.post(
    "/{ticket_id}/macros/{macro_id}/apply",
    summary="Apply a macro: priority, tags, reply and status in one change",
)
async def apply_macro(
    ticket_id: str, macro_id: MacroPath, tickets: Tickets, macros: Macros, caller: TicketWorker
) -> TicketRead:
    ticket = await macro_handlers.apply(ticket_id, macro_id, caller, tickets, macros)
    return TicketRead.model_validate(ticket)


ROUTERS = (macros_router, ticket_macros_router)
