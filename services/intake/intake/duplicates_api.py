"""`GET /tickets/{id}/duplicates`: the requests detection joined to a ticket, and why."""

from fastapi import APIRouter, FastAPI, Request

from intake import handlers
from intake.adapters.duplicates import MongoDuplicateStore
from intake.api import Tickets
from intake.duplicate_handlers import DuplicateCheck
from intake.duplicate_schemas import DuplicateList, DuplicateRead
from intake.ports import TicketRepository
from intake.settings import IntakeSettings
from ticketflow_shared.access.guard import TicketReader

duplicates_router = APIRouter(prefix="/tickets", tags=["duplicates"])


@duplicates_router.get(
    "/{ticket_id}/duplicates",
    summary="Requests joined to this ticket as duplicates, with their scores",
    responses={404: {"description": "Unknown ticket, or one the caller does not see"}},
)
async def list_duplicates(
    ticket_id: str, request: Request, tickets: Tickets, caller: TicketReader
) -> DuplicateList:
    await handlers.visible_ticket(tickets, ticket_id, caller.scope())
    check: DuplicateCheck | None = getattr(request.app.state, "duplicates", None)
    found = await check.store.for_ticket(ticket_id) if check else []
    return DuplicateList(data=[DuplicateRead.model_validate(d) for d in found], count=len(found))


def install_duplicates(
    app: FastAPI,
    store: MongoDuplicateStore,
    tickets: TicketRepository,
    settings: IntakeSettings,
) -> None:
    """Where ticket creation finds its duplicate check (off when the setting says so)."""
    app.state.duplicates = DuplicateCheck(
        store, tickets, settings.duplicate_policy(), settings.repeat_contact_policy()
    )
