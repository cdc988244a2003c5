"""Reporting's one queue: every ticket, agent and notification event, folded into read models."""

from reporting import handlers
from reporting.domain.projection import TICKET_EVENTS
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import AgentUpdatedV1, Envelope, Payload
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, models: handlers.ReadModels) -> None:
    async def project(envelope: Envelope, payload: Payload) -> None:
        await handlers.project_event(
            envelope, payload, tickets=models.tickets, agents=models.agents
        )

    # No inbox: each write says itself whether it was applied (the producer's sequence, or a
    # once-only guard), so a redelivery changes nothing without two more round trips.
    events = EventHandlers().on(*TICKET_EVENTS, AgentUpdatedV1, handler=project)
    await runtime.consume(events, inbox=False)
