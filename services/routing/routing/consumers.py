"""Routing's one bus subscription: new tickets get routed, resolved ones free their agent."""

from routing import handlers
from routing.ports import Stores
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import Envelope, TicketCreatedV1, TicketResolvedV1
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, stores: Stores) -> None:
    async def created(envelope: Envelope, payload: TicketCreatedV1) -> None:
        await handlers.ticket_created(payload, stores)

    async def resolved(envelope: Envelope, payload: TicketResolvedV1) -> None:
        await handlers.ticket_resolved(payload, stores)

    events = (
        EventHandlers().on(TicketCreatedV1, handler=created).on(TicketResolvedV1, handler=resolved)
    )
    await runtime.consume(events)
