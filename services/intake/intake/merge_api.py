"""Merge a ticket into another, split a message out into a ticket, and a ticket's links."""

from fastapi import APIRouter, FastAPI, Request, Response

from intake import handlers, merge_handlers
from intake.api import Categories, Tickets
from intake.conversation import reads_internal_notes
from intake.merge_handlers import TicketLinks
from intake.merge_schemas import (
    LinksRead,
    MergeRead,
    MergeRequest,
    SplitOutRead,
    SplitRead,
)
from intake.schemas import TicketRead
from ticketflow_shared.access.guard import TicketReader, TicketWorker

merge_router = APIRouter(prefix="/tickets", tags=["merge and split"])
REFUSALS = {
    404: {"description": "Unknown ticket (or message), or one the caller does not see"},
    409: {"description": "Another customer's ticket, itself, a closed one, or not a customer's"},
}


def _links(request: Request) -> TicketLinks:
    return request.app.state.ticket_links


@merge_router.post(
    "/{ticket_id}/merge", summary="Merge this ticket into another", responses=REFUSALS
)
async def merge(
    ticket_id: str, body: MergeRequest, request: Request, tickets: Tickets, caller: TicketWorker
) -> MergeRead:
    merged = await merge_handlers.merge_ticket(
        tickets, _links(request), ticket_id, body.into, caller
    )
    return MergeRead(
        ticket_id=merged.source.id,
        into=merged.target.id,
        status=merged.source.status.value,
        merged_by=merged.link.actor,
        merged_at=merged.link.at,
        messages_copied=merged.messages_copied,
    )


@merge_router.post(
    "/{ticket_id}/messages/{message_id}/split",
    status_code=201,
    summary="Open a new ticket from one of the customer's messages",
    responses={200: {"description": "The message was split out before"}, **REFUSALS},
)
async def split(
    ticket_id: str,
    message_id: str,
    request: Request,
    response: Response,
    tickets: Tickets,
    categories: Categories,
    caller: TicketWorker,
) -> SplitRead:
    out = await merge_handlers.split_message(
        tickets, categories, _links(request), ticket_id, message_id, caller
    )
    if not out.created:
        response.status_code = 200
    ticket = TicketRead.model_validate(out.ticket).for_reader(reads_internal_notes(caller))
    return SplitRead(split_from=ticket_id, message_id=message_id, ticket=ticket)


@merge_router.get("/{ticket_id}/links", summary="Merges and splits of this ticket")
async def links(
    ticket_id: str, request: Request, tickets: Tickets, caller: TicketReader
) -> LinksRead:
    await handlers.visible_ticket(tickets, ticket_id, caller.scope())
    merges, splits = await _links(request).of_ticket(ticket_id)
    into = next((m.into for m in merges if m.source == ticket_id), None)
    came_from = next((s for s in splits if s.ticket_id == ticket_id), None)
    return LinksRead(
        merged_into=into,
        merged_from=[m.source for m in merges if m.into == ticket_id],
        split_out=[
            SplitOutRead(message_id=s.message_id, ticket_id=s.ticket_id)
            for s in splits
            if s.source == ticket_id
        ],
        split_from=None
        if came_from is None
        else SplitOutRead(message_id=came_from.message_id, ticket_id=came_from.source),
    )


def install_links(app: FastAPI, links: TicketLinks) -> None:
    app.state.ticket_links = links
