"""Other services' escalations in routing, against in-memory stores: a more urgent priority
moves the queued ticket up, nothing lowers it, routing's own are applied already."""

from datetime import UTC, datetime, timedelta

import pytest
from routing_fakes import fake_stores

from factories import ticket_created
from routing import escalation, handlers, views
from routing.lifecycle import TicketNotKnownYet
from routing.ports import Stores
from ticketflow_shared.events import EscalationTrigger, Priority, TicketEscalatedV1

T0 = datetime(2025, 2, 1, tzinfo=UTC)


async def create(stores: Stores, ticket_id: str, minutes: int) -> None:
    at = T0 + timedelta(minutes=minutes)
    await handlers.ticket_created(ticket_created(ticket_id, created_at=at), stores)


def escalated(ticket_id: str, source: str, priority: Priority | None) -> TicketEscalatedV1:
    return TicketEscalatedV1(
        ticket_id=ticket_id,
        source=source,
        trigger=EscalationTrigger.emotion,
        reason="angry",
        priority=priority,
        escalated_at=T0,
    )


async def order(stores: Stores) -> list[str]:
    return [entry.ticket.ticket_id for entry in (await views.queue(stores, 10))[0]]


async def test_a_more_urgent_escalation_moves_the_ticket_up_and_nothing_lowers_it() -> None:
    stores, _ = fake_stores()
    await create(stores, "older", 0)
    await create(stores, "angry", 5)
    await escalation.escalated(escalated("angry", "routing", Priority.urgent), stores)
    await escalation.escalated(escalated("angry", "intake", None), stores)
    assert await order(stores) == ["older", "angry"]

    raised = escalated("angry", "intake", Priority.urgent)
    await escalation.escalated(raised, stores)
    await escalation.escalated(raised, stores)
    await escalation.escalated(escalated("angry", "intake", Priority.low), stores)
    assert await order(stores) == ["angry", "older"]
    assert (await stores.tickets.get("angry")).priority is Priority.urgent


async def test_an_escalation_of_a_ticket_routing_has_not_seen_is_retried() -> None:
    stores, _ = fake_stores()
    with pytest.raises(TicketNotKnownYet):
        await escalation.escalated(escalated("nobody", "intake", Priority.high), stores)
