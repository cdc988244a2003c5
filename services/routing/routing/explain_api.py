"""`GET /tickets/{id}/routing`: the last routing decision, scoped like `GET /tickets/{id}`."""

from typing import Any

from fastapi import APIRouter

from routing import views
from routing.api import StoresDep
from ticketflow_shared import errors
from ticketflow_shared.access.guard import TicketReader

router = APIRouter(tags=["tickets"])


class NoDecision(errors.NotFound):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"routing has decided nothing for ticket {ticket_id} yet")


@router.get("/tickets/{ticket_id}/routing", summary="The last routing decision and why")
async def get_routing(ticket_id: str, stores: StoresDep, caller: TicketReader) -> dict[str, Any]:
    await views.visible_ticket(ticket_id, stores, caller.scope())
    found = await stores.decisions.get(ticket_id) if stores.decisions else None
    if found is None:
        raise NoDecision(ticket_id)
    return found
