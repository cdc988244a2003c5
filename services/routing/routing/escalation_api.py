"""`GET /tickets/{id}/escalations`: the escalation steps fired for a ticket while it waited."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from routing import views
from routing.api import StoresDep
from routing.escalation import Escalations
from ticketflow_shared.access.guard import TicketReader

router = APIRouter(tags=["tickets"])


def get_escalations(request: Request) -> Escalations:
    return request.app.state.escalations


EscalationsDep = Annotated[Escalations, Depends(get_escalations)]


@router.get("/tickets/{ticket_id}/escalations", summary="Escalation steps fired while it waited")
async def get_ticket_escalations(
    ticket_id: str, stores: StoresDep, escalations: EscalationsDep, caller: TicketReader
) -> dict[str, Any]:
    await views.visible_ticket(ticket_id, stores, caller.scope())
    steps = await escalations.fired.of_ticket(ticket_id)
    return {"data": steps, "count": len(steps)}
