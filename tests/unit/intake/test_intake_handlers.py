"""Handlers against in-memory repositories: creation, idempotency, routing events, resolve."""

import pytest
from intake_fakes import (
    BILLING,
    GENERAL,
    FakeCategories,
    FakeClock,
    FakeTickets,
    assigned,
    create_command,
    queued,
    routing,
)

from intake import handlers
from intake.domain.categories import CategoryRule
from intake.domain.commands import ResolveTicket
from intake.domain.errors import (
    ConcurrentUpdate,
    IdempotencyConflict,
    IllegalTransition,
    MissingFields,
    TicketNotFound,
    UnknownCategory,
)
from intake.domain.ticket import TicketStatus
from ticketflow_shared.events import TicketCreatedV1, TicketResolvedV1, TicketStatusChangedV1


@pytest.fixture
def tickets() -> FakeTickets:
    return FakeTickets()


@pytest.fixture
def categories() -> FakeCategories:
    return FakeCategories(BILLING, GENERAL)


async def test_create_stores_the_ticket_and_records_one_created_event(tickets, categories):
    created = await handlers.create_ticket(create_command(), tickets, categories, FakeClock())

    assert not created.replayed
    assert created.ticket.id in tickets.stored
    [event] = tickets.published
    assert isinstance(event, TicketCreatedV1)
    assert event.ticket_id == created.ticket.id


async def test_an_unknown_category_is_refused(tickets, categories):
    with pytest.raises(UnknownCategory):
        await handlers.create_ticket(create_command(category="gardening"), tickets, categories)
    assert tickets.stored == {}


async def test_missing_required_fields_are_refused(tickets, categories):
    with pytest.raises(MissingFields) as raised:
        await handlers.create_ticket(create_command(fields={}), tickets, categories)
    assert raised.value.missing == ["order_id"]
    assert tickets.published == []


async def test_a_retry_with_the_same_key_returns_the_first_ticket(tickets, categories):
    first = await handlers.create_ticket(create_command(idempotency_key="k"), tickets, categories)
    again = await handlers.create_ticket(create_command(idempotency_key="k"), tickets, categories)

    assert again.replayed
    assert again.ticket.id == first.ticket.id
    assert len(tickets.stored) == 1
    assert len(tickets.published) == 1


async def test_a_replay_wins_even_after_the_category_rule_changed(tickets, categories):
    first = await handlers.create_ticket(create_command(idempotency_key="k"), tickets, categories)
    await categories.put(CategoryRule("billing", ("order_id", "invoice")))

    again = await handlers.create_ticket(create_command(idempotency_key="k"), tickets, categories)

    assert again.ticket.id == first.ticket.id


async def test_the_same_key_with_another_body_is_a_conflict(tickets, categories):
    await handlers.create_ticket(create_command(idempotency_key="k"), tickets, categories)
    with pytest.raises(IdempotencyConflict):
        await handlers.create_ticket(
            create_command(idempotency_key="k", subject="Different"), tickets, categories
        )
    assert len(tickets.stored) == 1


class BlindOnce(FakeTickets):
    """Misses the next read, as when a concurrent request inserts between our read and write."""

    blind = False

    async def get(self, ticket_id):
        if self.blind:
            self.blind = False
            return None
        return await super().get(ticket_id)


async def test_a_concurrent_retry_that_inserted_first_is_returned(categories):
    racing = BlindOnce()
    first = await handlers.create_ticket(create_command(idempotency_key="k"), racing, categories)
    racing.blind = True

    again = await handlers.create_ticket(create_command(idempotency_key="k"), racing, categories)

    assert again.replayed
    assert again.ticket.id == first.ticket.id
    assert len(racing.published) == 1


async def test_a_concurrent_retry_with_another_body_is_a_conflict(categories):
    racing = BlindOnce()
    await handlers.create_ticket(create_command(idempotency_key="k"), racing, categories)
    racing.blind = True

    with pytest.raises(IdempotencyConflict):
        await handlers.create_ticket(
            create_command(idempotency_key="k", body="Another body"), racing, categories
        )


async def test_routing_events_move_the_ticket_forward(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket

    await handlers.routing_event(routing(1), queued(ticket.id), tickets)
    after = await handlers.routing_event(routing(2), assigned(ticket.id, "agent-9"), tickets)

    assert after.status is TicketStatus.open
    stored = tickets.stored[ticket.id]
    assert stored.status is TicketStatus.open
    assert stored.assignee is not None and stored.assignee.agent_id == "agent-9"


async def test_the_same_event_twice_writes_once(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    event = assigned(ticket.id)

    await handlers.ticket_assigned(routing(1), event, tickets)
    version = tickets.stored[ticket.id].version
    await handlers.ticket_assigned(routing(1), event, tickets)

    stored = tickets.stored[ticket.id]
    assert stored.version == version
    assert [e.event_type for e in stored.history].count("ticket.assigned.v1") == 1


async def test_a_late_event_writes_nothing(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    await handlers.ticket_assigned(routing(2), assigned(ticket.id), tickets)
    version = tickets.stored[ticket.id].version

    after = await handlers.ticket_queued(routing(1), queued(ticket.id), tickets)

    assert after.status is TicketStatus.open
    assert tickets.stored[ticket.id].version == version


async def test_events_go_out_at_the_version_their_change_made(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    await handlers.ticket_queued(routing(1), queued(ticket.id), tickets)
    await handlers.ticket_assigned(routing(2), assigned(ticket.id), tickets)

    await handlers.resolve_ticket(ResolveTicket(ticket_id=ticket.id), tickets)

    kinds = [type(event) for event in tickets.published]
    # Queued 2; assigned 3, with the status change it records; the solve records two.
    assert list(zip(kinds, tickets.sequences, strict=True)) == [
        (TicketCreatedV1, 1),
        (TicketStatusChangedV1, 3),
        (TicketStatusChangedV1, 4),
        (TicketResolvedV1, 5),
    ]


async def test_an_event_for_an_unknown_ticket_raises_so_the_bus_retries(tickets):
    with pytest.raises(TicketNotFound):
        await handlers.ticket_queued(routing(1), queued("TF-NOPE"), tickets)


async def test_a_concurrent_write_is_retried_on_fresh_state(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    tickets.conflicts_to_raise = 2

    after = await handlers.ticket_queued(routing(1), queued(ticket.id), tickets)

    assert after.status is TicketStatus.new
    assert [entry.event_type for entry in after.history][-1] == "ticket.queued.v1"


async def test_endless_conflicts_give_up(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    tickets.conflicts_to_raise = handlers.SAVE_ATTEMPTS

    with pytest.raises(ConcurrentUpdate):
        await handlers.ticket_queued(routing(1), queued(ticket.id), tickets)


async def test_resolve_records_ticket_resolved_with_the_agent(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    await handlers.ticket_assigned(routing(1), assigned(ticket.id, "agent-4"), tickets)

    resolved = await handlers.resolve_ticket(ResolveTicket(ticket_id=ticket.id), tickets)

    assert resolved.status is TicketStatus.solved
    event = tickets.published[-1]
    assert isinstance(event, TicketResolvedV1)
    assert event.agent_id == "agent-4"


async def test_resolve_twice_conflicts_and_publishes_once(tickets, categories):
    ticket = (await handlers.create_ticket(create_command(), tickets, categories)).ticket
    await handlers.resolve_ticket(ResolveTicket(ticket_id=ticket.id), tickets)

    with pytest.raises(IllegalTransition):
        await handlers.resolve_ticket(ResolveTicket(ticket_id=ticket.id), tickets)
    assert sum(isinstance(e, TicketResolvedV1) for e in tickets.published) == 1


async def test_resolve_an_unknown_ticket_is_not_found(tickets):
    with pytest.raises(TicketNotFound):
        await handlers.resolve_ticket(ResolveTicket(ticket_id="TF-NOPE"), tickets)
