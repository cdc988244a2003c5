"""Routing's one bus subscription: new tickets get routed, and the lifecycle moves slots."""

from routing import handlers, lifecycle
from routing.ports import Stores
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    TicketCreatedV1,
    TicketResolvedV1,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, stores: Stores) -> None:
    async def created(envelope: Envelope, payload: TicketCreatedV1) -> None:
        await handlers.ticket_created(payload, stores, envelope.position())

    async def resolved(envelope: Envelope, payload: TicketResolvedV1) -> None:
        await handlers.ticket_resolved(payload, stores, envelope.position())

    async def status_changed(envelope: Envelope, payload: TicketStatusChangedV1) -> None:
        await lifecycle.status_changed(payload, stores, envelope.position())

    async def transferred(envelope: Envelope, payload: TicketTransferredV1) -> None:
        await lifecycle.transferred(payload, stores, envelope.position())

    async def updated(envelope: Envelope, payload: TicketUpdatedV1) -> None:
        await lifecycle.updated(payload, stores, envelope.position())

    events = (
        EventHandlers()
        .on(TicketCreatedV1, handler=created)
        .on(TicketResolvedV1, handler=resolved)
        .on(TicketStatusChangedV1, handler=status_changed)
        .on(TicketTransferredV1, handler=transferred)
        .on(TicketUpdatedV1, handler=updated)
    )
    await runtime.consume(events)
