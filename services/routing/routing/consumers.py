"""Routing's one bus subscription: new tickets get routed, and the lifecycle moves slots."""

import logging
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

log = logging.getLogger(__name__)


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

    def handler(handle: Handler) -> Handler:
        return remembered(runtime, in_turn(turns, handle))

    events = (
        EventHandlers()
        .on(TicketCreatedV1, handler=handler(created))
        .on(TicketResolvedV1, handler=handler(resolved))
        .on(TicketStatusChangedV1, handler=handler(status_changed))
        .on(TicketTransferredV1, handler=handler(transferred))
        .on(TicketUpdatedV1, handler=handler(updated))
        .on(TicketEscalatedV1, handler=handler(escalated))
    )
    if sla:
        events.on(TicketMessageAddedV1, handler=handler(message_added))
    await runtime.consume(events, inbox=False)  # each handler is `remembered` instead


Handler = Callable[[Envelope, Any], Awaitable[None]]


def remembered(runtime: Runtime, handler: Handler) -> Handler:
    """`handler` for events this service may have handled before: each is remembered once
    handled, and one without a sequence is skipped when the inbox knows it.

    An event with its producer's sequence needs no look: every handler compares it with
    the sequence routing last applied to the ticket (or, for ticket.created, inserts the
    record under the ticket's id, and ticket.escalated never lowers a priority), so a
    repeat changes nothing, as a redelivery after a crash before `remember` never could.
    """

    async def handle(envelope: Envelope, payload: Any) -> None:
        if envelope.sequence is None and await runtime.inbox.seen(envelope.id):
            log.info("event %s already handled; acking", envelope.id)
            return
        await handler(envelope, payload)
        await runtime.inbox.remember(envelope.id, envelope.type)

    return handle


def in_turn(turns: TicketTurns, handler: Handler) -> Handler:
    """`handler`, taking its turn with the other events about the same ticket."""

    async def handle(envelope: Envelope, payload: Any) -> None:
        async with turns.of(payload.ticket_id):
            await handler(envelope, payload)

    return handle
