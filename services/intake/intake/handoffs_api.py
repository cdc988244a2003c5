"""Thin HTTP routes for handoffs: checklists, transfers, consults, and what an agent follows."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request

from intake import handlers, handoff_handlers
from intake.api import Tickets
from intake.domain.handoff_commands import AnswerConsult, ConsultDepartment, TransferTicket
from intake.handoff_ports import ChecklistRepository, HandoffViews
from intake.handoff_schemas import (
    ChecklistList,
    ChecklistRead,
    ChecklistUpdate,
    ConsultAnswerBody,
    ConsultCreate,
    ConsultRequestList,
    FollowedTicket,
    FollowingList,
    TransferBody,
    consult_requests,
)
from intake.schemas import ConsultRead, OneLine, TicketRead
from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import Admin, Caller, Staff, TicketWorker
from ticketflow_shared.access.principal import Scope


def _checklists(request: Request) -> ChecklistRepository:
    return request.app.state.checklists


def _views(request: Request) -> HandoffViews:
    return request.app.state.handoff_views


Checklists = Annotated[ChecklistRepository, Depends(_checklists)]
Views = Annotated[HandoffViews, Depends(_views)]
DepartmentName = Annotated[str, Path(min_length=1, max_length=100), OneLine]
Limit = Annotated[int, Query(ge=1, le=200)]

checklists_router = APIRouter(prefix="/handoff-checklists", tags=["handoffs"])
handoffs_router = APIRouter(prefix="/tickets", tags=["handoffs"])
consults_router = APIRouter(prefix="/consults", tags=["handoffs"])
following_router = APIRouter(prefix="/following", tags=["handoffs"])
ROUTERS = (checklists_router, handoffs_router, consults_router, following_router)


def install_handoffs(app: FastAPI, checklists: ChecklistRepository, views: HandoffViews) -> None:
    """What the handoff routes read from the app (the ticket repository is intake's own)."""
    app.state.checklists = checklists
    app.state.handoff_views = views


@checklists_router.get("", summary="Every department's handoff checklist")
async def list_checklists(checklists: Checklists, _: Caller) -> ChecklistList:
    found = await checklists.all()
    return ChecklistList(data=[ChecklistRead.of(c) for c in found], count=len(found))


@checklists_router.get(
    "/{department}",
    summary="What a department asks to be confirmed before it takes a ticket",
    responses={404: {"description": "No checklist: a transfer needs only its note"}},
)
async def get_checklist(
    department: DepartmentName, checklists: Checklists, _: Caller
) -> ChecklistRead:
    checklist = await checklists.get(department)
    if checklist is None:
        raise HTTPException(404, f"no handoff checklist for {department!r}")
    return ChecklistRead.of(checklist)


@checklists_router.put("/{department}", summary="Create or replace a handoff checklist")
async def put_checklist(
    department: DepartmentName, body: ChecklistUpdate, checklists: Checklists, _: Admin
) -> ChecklistRead:
    checklist = body.to_checklist(department)
    await checklists.put(checklist)
    return ChecklistRead.of(checklist)


@handoffs_router.post(
    "/{ticket_id}/transfer",
    summary="Hand a ticket to another department",
    responses={
        403: {"description": "A viewer, or a department that only reads it now"},
        404: {"description": "Unknown ticket, or one the caller may not see"},
        409: {"description": "The department already owns it, or it is solved or closed"},
        422: {"description": "Names the missing note and each required item not confirmed"},
    },
)
async def transfer_ticket(
    ticket_id: str,
    body: TransferBody,
    tickets: Tickets,
    checklists: Checklists,
    caller: TicketWorker,
) -> TicketRead:
    await handoff_handlers.owned_ticket(tickets, ticket_id, caller.scope())
    command = TransferTicket(ticket_id=ticket_id, actor=caller.actor, **body.model_dump())
    ticket = await handoff_handlers.transfer_ticket(command, tickets, checklists)
    return TicketRead.model_validate(ticket)


@handoffs_router.post(
    "/{ticket_id}/consults",
    status_code=201,
    summary="Ask another department; ownership stays put",
    responses={
        403: {"description": "A department that only reads the ticket"},
        409: {"description": "The department owns the ticket already"},
    },
)
async def consult(
    ticket_id: str, body: ConsultCreate, request: Request, tickets: Tickets, caller: TicketWorker
) -> ConsultRead:
    await handoff_handlers.owned_ticket(tickets, ticket_id, caller.scope())
    command = ConsultDepartment(ticket_id=ticket_id, actor=caller.actor, **body.model_dump())
    _, asked = await handoff_handlers.consult_department(command, tickets)
    name_target(request, consult_id=asked.id)
    return ConsultRead.model_validate(asked)


@handoffs_router.post(
    "/{ticket_id}/consults/{consult_id}/answer",
    summary="Answer a consult, as staff of the consulted department",
    responses={
        403: {"description": "The caller is not of the consulted department"},
        409: {"description": "Already answered"},
    },
)
async def answer_consult(
    ticket_id: str,
    consult_id: str,
    body: ConsultAnswerBody,
    tickets: Tickets,
    caller: TicketWorker,
) -> ConsultRead:
    await handlers.visible_ticket(tickets, ticket_id, caller.scope())
    command = AnswerConsult(
        ticket_id=ticket_id,
        consult_id=consult_id,
        answer=body.answer,
        actor=caller.actor,
        departments=_speaks_for(caller.scope()),
    )
    _, answered = await handoff_handlers.answer_consult(command, tickets)
    return ConsultRead.model_validate(answered)


@consults_router.get("", summary="Consults asked of the caller's departments")
async def list_consults(
    views: Views,
    caller: Staff,
    status: Literal["open", "answered"] = "open",
    limit: Limit = 50,
) -> ConsultRequestList:
    scope = caller.scope()
    found, total = await views.consulting(scope, status, limit)
    requests = consult_requests(found, status, _speaks_for(scope))
    return ConsultRequestList(data=requests, count=total)


@following_router.get("", summary="Tickets the calling agent owned before, as they are now")
async def following(views: Views, caller: TicketWorker, limit: Limit = 50) -> FollowingList:
    # A person's agent id is their token subject.
    found, total = await views.followed_by(caller.id, limit)
    return FollowingList(data=[FollowedTicket.of(t) for t in found], count=total)


def _speaks_for(scope: Scope) -> frozenset[str] | None:
    return None if scope.everything else scope.departments
