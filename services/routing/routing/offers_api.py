"""HTTP API of offers: the pending ones, and the offered agent's answer."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from routing import offers, views
from routing.api import AgentIdPath, StoresDep
from routing.offers_schemas import DeclineBody, OfferList, OfferRead
from routing.ports import Stores
from routing.schemas import AGENT_ID_PATTERN
from ticketflow_shared.access.guard import Staff, TicketWorker
from ticketflow_shared.access.principal import Principal

OfferIdPath = Annotated[str, Path(pattern=r"^OF-[0-9a-f]{32}$")]
AgentFilter = Annotated[str | None, Query(pattern=AGENT_ID_PATTERN)]

router = APIRouter(tags=["offers"])


async def _pending(stores: Stores, caller: Principal, agent_id: str | None) -> OfferList:
    found = await stores.offers.pending(agent_id) if stores.offers else []
    shown = [OfferRead.of(offer) for offer in found if offers.may_see(caller, offer)]
    return OfferList(data=shown, count=len(shown))


@router.get("/offers", summary="Offers waiting for an answer (yours, or your departments')")
async def list_offers(stores: StoresDep, caller: Staff, agent_id: AgentFilter = None) -> OfferList:
    return await _pending(stores, caller, agent_id)


@router.get("/agents/{agent_id}/offers", summary="The offers waiting for one agent's answer")
async def agent_offers(agent_id: AgentIdPath, stores: StoresDep, caller: Staff) -> OfferList:
    await views.visible_agent(agent_id, stores, caller.id, caller.scope())
    return await _pending(stores, caller, agent_id)


@router.get("/offers/{offer_id}", summary="One offer, waiting or ended")
async def get_offer(offer_id: OfferIdPath, stores: StoresDep, caller: Staff) -> OfferRead:
    return OfferRead.of(await offers.visible(offer_id, stores=stores, caller=caller))


@router.post(
    "/offers/{offer_id}/accept",
    summary="Take the offered ticket (the offered agent, or a supervisor; 409 once it ended)",
)
async def accept_offer(offer_id: OfferIdPath, stores: StoresDep, caller: TicketWorker) -> OfferRead:
    return OfferRead.of(await offers.accept(offer_id, caller, stores))


@router.post(
    "/offers/{offer_id}/decline",
    summary="Turn the offered ticket down: it goes to the next agent (409 once it ended)",
)
async def decline_offer(
    offer_id: OfferIdPath,
    stores: StoresDep,
    caller: TicketWorker,
    body: Annotated[DeclineBody | None, Body()] = None,
) -> OfferRead:
    reason = body.reason if body else None
    return OfferRead.of(await offers.decline(offer_id, caller, stores, reason))
