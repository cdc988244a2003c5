"""The automatic close: a periodic job on the shared scheduler, on the injectable clock."""

from datetime import timedelta

from intake_fakes import FakeCloseClaims, FakeTickets, new_ticket

from intake import auto_close, workflow
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import TicketStatus, TicketStatusChangedV1
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.testing import FakeClock

DAY = 24 * 3600


async def test_a_solved_ticket_closes_once_its_time_has_come():
    clock = FakeClock()
    scheduler = Scheduler(clock)
    tickets = FakeTickets()
    ticket = new_ticket()
    await tickets.add(ticket)
    ticket = await workflow.change_status(
        tickets,
        ticket.id,
        TicketStatus.solved,
        actor="user:ana",
        reason=None,
        scope=Scope(everything=True),
        clock=clock.now,
    )
    claims = FakeCloseClaims()
    auto_close.schedule_auto_close(
        scheduler, tickets, claims, after_seconds=4 * DAY, every_seconds=3600
    )
    scheduler.start()
    try:
        await clock.run_for(timedelta(days=4) - timedelta(hours=1))
        assert tickets.stored[ticket.id].status is TicketStatus.solved
        await clock.run_for(timedelta(hours=2))
        assert tickets.stored[ticket.id].status is TicketStatus.closed
        await clock.run_for(timedelta(days=1, hours=2))
        # Claims are forgotten a day after: nobody still holds the version they were about.
        assert claims.held == {}
    finally:
        await scheduler.stop()

    closes = [
        e
        for e in tickets.published
        if isinstance(e, TicketStatusChangedV1) and e.status is TicketStatus.closed
    ]
    assert [(e.actor, e.reason) for e in closes] == [("system", "auto-close")]


async def test_a_close_another_process_claimed_first_is_left_to_it():
    tickets = FakeTickets()
    ticket = new_ticket()
    ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=ticket.created_at)
    await tickets.add(ticket)
    later = ticket.created_at + timedelta(days=5)
    claims = FakeCloseClaims()
    await claims.claim(ticket.id, ticket.version, later, auto_close.CLAIM_LEASE)

    assert await auto_close.close_due(tickets, claims, later, timedelta(days=4)) == 0
    assert tickets.stored[ticket.id].status is TicketStatus.solved


async def test_a_ticket_changed_between_read_and_write_is_left_for_a_later_pass():
    tickets = FakeTickets()
    ticket = new_ticket()
    ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=ticket.created_at)
    await tickets.add(ticket)
    later = ticket.created_at + timedelta(days=5)
    tickets.conflicts_to_raise = 1

    closed = await auto_close.close_due(tickets, FakeCloseClaims(), later, timedelta(days=4))
    again = await auto_close.close_due(tickets, FakeCloseClaims(), later, timedelta(days=4))

    assert (closed, again) == (0, 1)
    assert tickets.stored[ticket.id].status is TicketStatus.closed
