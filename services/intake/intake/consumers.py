"""Intake's one queue: routing's queued and assigned events keep each ticket current."""

from intake import handlers
from intake.ports import TicketRepository
from ticketflow_shared.events import Envelope, Payload
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, tickets: TicketRepository) -> None:
    async def on_event(envelope: Envelope, payload: Payload) -> None:
        await handlers.routing_event(envelope.position(), payload, tickets)

    await runtime.bus.subscribe("events", handlers.CONSUMED_EVENTS, runtime.idempotent(on_event))
