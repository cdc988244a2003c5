"""Routing's one bus subscription: new tickets get routed, resolved ones free their agent."""

from routing import handlers
from routing.ports import Stores
from ticketflow_shared.events import Envelope, Payload, TicketCreatedV1, TicketResolvedV1
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, stores: Stores) -> None:
    async def on_event(envelope: Envelope, payload: Payload) -> None:
        if isinstance(payload, TicketCreatedV1):
            await handlers.ticket_created(payload, stores)
        elif isinstance(payload, TicketResolvedV1):
            await handlers.ticket_resolved(payload, stores)

    await runtime.bus.subscribe(
        "events",
        [TicketCreatedV1.event_type, TicketResolvedV1.event_type],
        runtime.idempotent(on_event),
    )
