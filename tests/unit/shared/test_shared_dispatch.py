"""The event-handler registry: what a queue binds is what it can handle, nothing else."""

import pytest

from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    InvalidEvent,
    TicketQueuedV1,
    TicketResolvedV1,
)
from ticketflow_shared.testing import START


def envelope_of(payload) -> Envelope:
    return Envelope.wrap(payload, source="/ticketflow/test", subject=payload.ticket_id)


async def test_each_event_goes_to_its_handler_and_the_bindings_come_from_the_registry():
    seen = []

    async def queued(envelope, payload):
        seen.append(("queued", payload.ticket_id))

    async def resolved(envelope, payload):
        seen.append(("solved", payload.ticket_id))

    handlers = (
        EventHandlers().on(TicketQueuedV1, handler=queued).on(TicketResolvedV1, handler=resolved)
    )
    assert handlers.event_types == ["ticket.queued.v1", "ticket.resolved.v1"]
    event = TicketResolvedV1(ticket_id="T-1", resolved_at=START)
    await handlers(envelope_of(event), event)
    assert seen == [("solved", "T-1")]


async def test_an_unregistered_type_is_invalid_and_a_second_handler_is_refused():
    async def anything(envelope, payload):
        raise AssertionError("not this one")

    handlers = EventHandlers().on(TicketQueuedV1, handler=anything)
    event = TicketResolvedV1(ticket_id="T-1", resolved_at=START)
    with pytest.raises(InvalidEvent, match=r"ticket\.resolved\.v1"):
        await handlers(envelope_of(event), event)
    with pytest.raises(ValueError, match="already"):
        handlers.on(TicketQueuedV1, handler=anything)
