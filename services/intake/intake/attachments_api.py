"""A ticket's email attachments: listed, and downloaded as files (never shown inline)."""

from dataclasses import asdict
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from intake.api import Tickets
from intake.attachments_schemas import TicketAttachmentList, TicketAttachmentRead
from intake.handlers import visible_ticket
from ticketflow_shared.access.guard import TicketReader
from ticketflow_shared.errors import NotFound

attachments_router = APIRouter(prefix="/tickets", tags=["attachments"])
DOWNLOAD_PATHS = r"/tickets/[^/]+/attachments/[^/]+"
NOT_FOUND = {404: {"description": "No such ticket (or not yours to see), or no such attachment"}}


class AttachmentNotFound(NotFound):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(f"attachment {attachment_id} not found")


@attachments_router.get(
    "/{ticket_id}/attachments",
    summary="The attachments kept from the ticket's emails",
    responses=NOT_FOUND,
)
async def list_attachments(
    ticket_id: str, request: Request, tickets: Tickets, caller: TicketReader
) -> TicketAttachmentList:
    await visible_ticket(tickets, ticket_id, caller.scope())
    stored = await request.app.state.email_attachments.of_ticket(ticket_id)
    data = [TicketAttachmentRead(**asdict(s.ref), message_id=s.message_id) for s in stored]
    return TicketAttachmentList(data=data, count=len(data))


@attachments_router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    summary="Download one attachment (Content-Disposition: attachment)",
    responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}}}},
    response_class=Response,
)
async def download_attachment(
    ticket_id: str, attachment_id: str, request: Request, tickets: Tickets, caller: TicketReader
) -> Response:
    await visible_ticket(tickets, ticket_id, caller.scope())
    found = await request.app.state.email_attachments.content(ticket_id, attachment_id)
    if found is None:
        raise AttachmentNotFound(attachment_id)
    stored, content = found
    name = stored.ref.filename
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        content,
        media_type=stored.ref.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
