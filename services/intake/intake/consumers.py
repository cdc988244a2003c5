"""Intake's one queue: routing's queued and assigned events keep each ticket current, and
other services' escalations raise its priority."""

from intake import handlers
from intake.ports import TicketRepository
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    Payload,
    TicketAssignedV1,
    TicketEscalatedV1,
    TicketQueuedV1,
)
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, tickets: TicketRepository) -> None:
    async def routing_event(envelope: Envelope, payload: Payload) -> None:
        await handlers.routing_event(envelope.position(), payload, tickets)

    async def escalated(envelope: Envelope, payload: TicketEscalatedV1) -> None:
        await handlers.ticket_escalated(payload, tickets)

    # No inbox: the ticket takes routing's events in routing's order and drops one at or
    # below the sequence it holds, and an escalation never lowers a priority, so a
    # redelivery changes nothing without two more round trips per event.
    events = (
        EventHandlers()
        .on(TicketQueuedV1, TicketAssignedV1, handler=routing_event)
        .on(TicketEscalatedV1, handler=escalated)
    )
    await runtime.consume(events, inbox=False)
