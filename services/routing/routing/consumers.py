"""Routing's one bus subscription: new tickets get routed, and the lifecycle moves slots."""

from collections.abc import Awaitable, Callable
from typing import Any

from routing import escalation, handlers, lifecycle, sla_handlers
from routing.ports import Stores
from routing.sla_handlers import SlaDeps
from routing.turns import TicketTurns
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    TicketCreatedV1,
    TicketEscalatedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, stores: Stores, sla: SlaDeps | None = None) -> None:
    async def created(envelope: Envelope, payload: TicketCreatedV1) -> None:
        await handlers.ticket_created(payload, stores, envelope.position())
        # Second: the clocks it starts place a new ticket already queued by its due time.
        if sla:
            await sla_handlers.ticket_created(payload, sla, envelope.position())

    async def resolved(envelope: Envelope, payload: TicketResolvedV1) -> None:
        await handlers.ticket_resolved(payload, stores, envelope.position())

    async def status_changed(envelope: Envelope, payload: TicketStatusChangedV1) -> None:
        await lifecycle.status_changed(payload, stores, envelope.position())
        if sla:
            await sla_handlers.status_changed(payload, sla, envelope.position())

    async def transferred(envelope: Envelope, payload: TicketTransferredV1) -> None:
        await lifecycle.transferred(payload, stores, envelope.position())

    async def updated(envelope: Envelope, payload: TicketUpdatedV1) -> None:
        await lifecycle.updated(payload, stores, envelope.position())
        if sla:
            await sla_handlers.updated(payload, sla, envelope.position())

    async def message_added(envelope: Envelope, payload: TicketMessageAddedV1) -> None:
        if sla:
            await sla_handlers.message_added(payload, sla, envelope.position())

    async def escalated(envelope: Envelope, payload: TicketEscalatedV1) -> None:
        await escalation.escalated(payload, stores)

    turns = TicketTurns()
    events = (
        EventHandlers()
        .on(TicketCreatedV1, handler=in_turn(turns, created))
        .on(TicketResolvedV1, handler=in_turn(turns, resolved))
        .on(TicketStatusChangedV1, handler=in_turn(turns, status_changed))
        .on(TicketTransferredV1, handler=in_turn(turns, transferred))
        .on(TicketUpdatedV1, handler=in_turn(turns, updated))
        .on(TicketEscalatedV1, handler=in_turn(turns, escalated))
    )
    if sla:
        events.on(TicketMessageAddedV1, handler=in_turn(turns, message_added))
    await runtime.consume(events)


def in_turn(turns: TicketTurns, handler: Callable[[Envelope, Any], Awaitable[None]]):
    """`handler`, taking its turn with the other events about the same ticket."""

    async def handle(envelope: Envelope, payload: Any) -> None:
        async with turns.of(payload.ticket_id):
            await handler(envelope, payload)

    return handle
