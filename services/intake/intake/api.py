"""Thin HTTP routes: parse, build a command, call the handler, map the result."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from intake import handlers, handoff_handlers
from intake.conversation import reads_internal_notes
from intake.domain.commands import ResolveTicket
from intake.domain.ticket import TicketStatus
from intake.duplicate_schemas import JoinedTicketRead
from intake.ports import CategoryRepository, TicketRepository
from intake.schemas import (
    CategoryList,
    CategoryName,
    CategoryRead,
    CategoryUpdate,
    MailAddress,
    TicketCreate,
    TicketList,
    TicketRead,
    TicketResolve,
)
from intake.triage_step import triager_of
from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import Admin, Caller, TicketCreator, TicketReader, TicketWorker

REPLAYED_HEADER = "Idempotent-Replayed"


def _tickets(request: Request) -> TicketRepository:
    return request.app.state.tickets


def _categories(request: Request) -> CategoryRepository:
    return request.app.state.categories


Tickets = Annotated[TicketRepository, Depends(_tickets)]
Categories = Annotated[CategoryRepository, Depends(_categories)]
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200)]

tickets_router = APIRouter(prefix="/tickets", tags=["tickets"])
categories_router = APIRouter(prefix="/categories", tags=["categories"])


@tickets_router.post(
    "",
    status_code=201,
    summary="Open a ticket",
    responses={
        200: {
            "description": "Replay of an earlier request with the same Idempotency-Key, or the "
            "open ticket of the customer's this request repeats (`duplicate_of`)"
        },
        409: {"description": "Idempotency-Key reused with a different body"},
    },
)
async def create_ticket(
    body: TicketCreate,
    request: Request,
    response: Response,
    tickets: Tickets,
    categories: Categories,
    caller: TicketCreator,
    idempotency_key: IdempotencyKey = None,
) -> JoinedTicketRead | TicketRead:
    command = body.to_command(idempotency_key, created_by=caller.actor)
    state = request.app.state
    identities = getattr(state, "customer_identities", None)
    duplicates = getattr(state, "duplicates", None)
    created = await handlers.create_ticket(
        command,
        tickets,
        categories,
        identities=identities,
        triager=triager_of(state),
        duplicates=duplicates,
        scope=caller.scope(),
    )
    name_target(request, ticket_id=created.ticket.id)
    if created.replayed:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    read = TicketRead.model_validate(created.ticket).for_reader(reads_internal_notes(caller))
    if created.duplicate is None:
        return read
    response.status_code = 200
    return JoinedTicketRead.of(read, created.duplicate)


@tickets_router.get("", summary="List tickets, newest first")
async def list_tickets(
    tickets: Tickets,
    caller: TicketReader,
    status: TicketStatus | None = None,
    customer_email: Annotated[
        MailAddress | None, Query(description="Checked and normalised as a new ticket's is")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketList:
    found, total = await tickets.find(
        status=status, customer_email=customer_email, limit=limit, scope=caller.scope()
    )
    internal = reads_internal_notes(caller)
    data = [TicketRead.model_validate(t).for_reader(internal) for t in found]
    return TicketList(data=data, count=total)


@tickets_router.get("/{ticket_id}", summary="One ticket with its history")
async def get_ticket(ticket_id: str, tickets: Tickets, caller: TicketReader) -> TicketRead:
    ticket = await handlers.visible_ticket(tickets, ticket_id, caller.scope())
    return TicketRead.model_validate(ticket).for_reader(reads_internal_notes(caller))


@tickets_router.post(
    "/{ticket_id}/resolve",
    summary="Resolve a ticket",
    responses={
        404: {"description": "Unknown ticket"},
        409: {"description": "Already solved, or closed"},
        422: {"description": "Required steps of the ticket's procedure are not done"},
    },
)
async def resolve_ticket(
    ticket_id: str, tickets: Tickets, caller: TicketWorker, body: TicketResolve | None = None
) -> TicketRead:
    # Past owners and consulted departments read the ticket; only its owners resolve it.
    await handoff_handlers.owned_ticket(tickets, ticket_id, caller.scope())
    command = ResolveTicket(
        ticket_id=ticket_id, resolution=body.resolution if body else None, actor=caller.actor
    )
    ticket = await handlers.resolve_ticket(command, tickets)
    return TicketRead.model_validate(ticket)


@categories_router.get("", summary="Category rules")
async def list_categories(categories: Categories, _: Caller) -> CategoryList:
    rules = await categories.all()
    return CategoryList(
        data=[CategoryRead.model_validate(rule) for rule in rules], count=len(rules)
    )


@categories_router.put("/{name}", summary="Create or replace a category rule")
async def put_category(
    name: CategoryName, body: CategoryUpdate, categories: Categories, _: Admin
) -> CategoryRead:
    await categories.put(body.to_rule(name))
    # Read back: the category's procedure is kept, and the answer shows it.
    return CategoryRead.model_validate(await categories.get(name))
