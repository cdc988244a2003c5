"""Thin HTTP routes of the lifecycle, the conversation, the procedure (SOP) and the desk."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from intake import conversation, desk, workflow
from intake.api import Categories, Tickets
from intake.conversation import reads_internal_notes
from intake.desk_schemas import (
    CustomerMessageCreate,
    CustomerMessagePosted,
    DeskRead,
    MessageCreate,
    MessageList,
    MessageRead,
    StatusChange,
    TicketViewRead,
    message_list,
)
from intake.domain.repeat_contact import DEFAULT_POLICY, RepeatContactPolicy
from intake.domain.ticket import TicketStatus
from intake.handoffs_api import Views
from intake.procedure_schemas import (
    CategoryProcedureRead,
    ProcedureRead,
    ProcedureStepRead,
    ProcedureUpdate,
    StepKey,
)
from intake.schemas import CategoryName, TicketRead
from ticketflow_shared.access.guard import Admin, TicketReader, TicketWorker, allow
from ticketflow_shared.access.principal import Principal, Role

# Who may pass on what the customer wrote: the system that talks to them, or staff for them.
CustomerVoice = Annotated[Principal, Depends(allow(Role.admin, Role.agent, Role.integration))]


def _repeat_contact(request: Request) -> RepeatContactPolicy:
    settings = getattr(request.app.state, "intake_settings", None)
    return settings.repeat_contact_policy() if settings else DEFAULT_POLICY


RepeatContact = Annotated[RepeatContactPolicy, Depends(_repeat_contact)]

lifecycle_router = APIRouter(prefix="/tickets", tags=["lifecycle"])
procedure_router = APIRouter(tags=["procedure"])
desk_router = APIRouter(tags=["desk"])

NOT_FOUND = {404: {"description": "Unknown ticket, or another department's"}}


@lifecycle_router.post(
    "/{ticket_id}/status",
    summary="Move a ticket along its lifecycle",
    responses={
        **NOT_FOUND,
        409: {"description": "Not allowed from the ticket's current status (named)"},
        422: {"description": "Solving with required procedure steps not done (each named)"},
    },
)
async def change_status(
    ticket_id: str, body: StatusChange, tickets: Tickets, caller: TicketWorker
) -> TicketRead:
    ticket = await workflow.change_status(
        tickets,
        ticket_id,
        TicketStatus(body.status),
        actor=caller.actor,
        reason=body.reason,
        scope=caller.scope(),
    )
    return TicketRead.model_validate(ticket)


@lifecycle_router.post(
    "/{ticket_id}/messages",
    status_code=201,
    summary="Reply to the customer (public) or add an internal note",
    responses={**NOT_FOUND, 409: {"description": "Closed, or the thread is full"}},
)
async def post_message(
    ticket_id: str, body: MessageCreate, tickets: Tickets, caller: TicketWorker
) -> MessageRead:
    message = await conversation.post_staff_message(
        tickets,
        ticket_id,
        body=body.body,
        visibility=body.visibility,
        caller=caller,
        in_reply_to=body.in_reply_to,
    )
    return MessageRead.model_validate(message)


@lifecycle_router.post(
    "/{ticket_id}/customer-messages",
    status_code=201,
    summary="What the customer wrote; on a closed ticket, it starts a linked follow-up",
    responses={**NOT_FOUND, 409: {"description": "The thread is full"}},
)
async def post_customer_message(
    ticket_id: str,
    body: CustomerMessageCreate,
    tickets: Tickets,
    categories: Categories,
    caller: CustomerVoice,
    repeat: RepeatContact,
) -> CustomerMessagePosted:
    posted = await conversation.post_customer_message(
        tickets,
        categories,
        ticket_id,
        body=body.body,
        caller=caller,
        in_reply_to=body.in_reply_to,
        repeat=repeat,
    )
    return CustomerMessagePosted.of(posted, reads_internal_notes(caller))


@lifecycle_router.get(
    "/{ticket_id}/messages",
    summary="The thread, oldest first (internal notes for staff only)",
    responses=NOT_FOUND,
)
async def list_messages(ticket_id: str, tickets: Tickets, caller: TicketReader) -> MessageList:
    return message_list(await conversation.thread(tickets, ticket_id, caller))


@lifecycle_router.get(
    "/{ticket_id}/view",
    summary="The ticket with its thread, history, procedure and the customer's other tickets",
    responses=NOT_FOUND,
)
async def view_ticket(ticket_id: str, tickets: Tickets, caller: TicketReader) -> TicketViewRead:
    return TicketViewRead.of(await desk.ticket_view(tickets, ticket_id, caller))


@lifecycle_router.post(
    "/{ticket_id}/procedure/{step_key}",
    summary="Tick a step of the ticket's procedure",
    responses={404: {"description": "Unknown ticket or step"}},
)
async def tick_step(
    ticket_id: str, step_key: StepKey, tickets: Tickets, caller: TicketWorker
) -> ProcedureRead:
    return await _tick(tickets, ticket_id, step_key, caller, done=True)


@lifecycle_router.delete(
    "/{ticket_id}/procedure/{step_key}",
    summary="Un-tick a step of the ticket's procedure",
    responses={404: {"description": "Unknown ticket or step"}},
)
async def untick_step(
    ticket_id: str, step_key: StepKey, tickets: Tickets, caller: TicketWorker
) -> ProcedureRead:
    return await _tick(tickets, ticket_id, step_key, caller, done=False)


async def _tick(
    tickets: Tickets, ticket_id: str, key: str, caller: Principal, *, done: bool
) -> ProcedureRead:
    ticket = await workflow.tick_step(
        tickets, ticket_id, key, done=done, actor=caller.actor, scope=caller.scope()
    )
    return ProcedureRead.of(ticket.procedure)


@procedure_router.put(
    "/categories/{name}/procedure",
    summary="Replace a category's procedure (SOP); tickets created later take a copy",
    responses={404: {"description": "Unknown category"}},
)
async def put_procedure(
    name: CategoryName, body: ProcedureUpdate, categories: Categories, _: Admin
) -> CategoryProcedureRead:
    steps = await workflow.put_procedure(categories, name, body.to_steps())
    return CategoryProcedureRead(
        category=name, steps=[ProcedureStepRead.model_validate(step) for step in steps]
    )


@desk_router.get("/desk", summary="The calling agent's open, pending and on-hold tickets")
async def get_desk(tickets: Tickets, views: Views, caller: TicketWorker) -> DeskRead:
    return DeskRead.of(await desk.desk(tickets, views, caller))
