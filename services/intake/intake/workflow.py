"""Intake's service layer for the lifecycle: status changes, procedure ticks, the automatic
close of solved tickets, and each category's procedure."""

import logging
from datetime import datetime, timedelta

from intake.domain.errors import CategoryNotFound, ConcurrentUpdate
from intake.domain.procedure import ProcedureStep
from intake.domain.ticket import Ticket, TicketStatus
from intake.handlers import Clock, _change, now_ms, visible_ticket
from intake.ports import CategoryRepository, TicketRepository
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.scheduling import Scheduler

log = logging.getLogger(__name__)
AUTO_CLOSE = "intake.auto-close"
CLOSE_BATCH = 100


async def change_status(
    tickets: TicketRepository,
    ticket_id: str,
    status: TicketStatus,
    *,
    actor: str,
    reason: str | None,
    scope: Scope,
    clock: Clock = now_ms,
) -> Ticket:
    await visible_ticket(tickets, ticket_id, scope)

    def change(ticket: Ticket) -> bool:
        ticket.change_status(status, actor=actor, reason=reason, now=clock())
        return True

    return await _change(tickets, ticket_id, change)


async def tick_step(
    tickets: TicketRepository,
    ticket_id: str,
    key: str,
    *,
    done: bool,
    actor: str,
    scope: Scope,
    clock: Clock = now_ms,
) -> Ticket:
    """Tick (`done`) or un-tick one step of the ticket's procedure; a repeat changes nothing."""
    await visible_ticket(tickets, ticket_id, scope)

    def change(ticket: Ticket) -> bool:
        if done:
            return ticket.tick_step(key, actor=actor, now=clock())
        return ticket.untick_step(key, clock())

    return await _change(tickets, ticket_id, change)


async def put_procedure(
    categories: CategoryRepository, name: str, steps: tuple[ProcedureStep, ...]
) -> tuple[ProcedureStep, ...]:
    if not await categories.put_procedure(name, steps):
        raise CategoryNotFound(name)
    return steps


async def close_due(
    tickets: TicketRepository, now: datetime, after: timedelta, limit: int = CLOSE_BATCH
) -> int:
    """Close tickets solved at least `after` ago; how many this call closed.

    Safe beside other intake processes doing the same: each close is a compare-and-set on the
    ticket's version, so whoever loses reloads, finds it closed, and records nothing.
    """
    cutoff = now - after
    closed = 0
    for ticket_id in await tickets.due_to_close(cutoff, limit):
        try:
            ticket = await _change(tickets, ticket_id, lambda t: t.close_if_solved_by(cutoff, now))
        except ConcurrentUpdate:
            log.info("ticket %s kept changing; closing it on a later pass", ticket_id)
            continue
        closed += ticket.status is TicketStatus.closed and ticket.closed_at == now
    return closed


def schedule_auto_close(
    scheduler: Scheduler, tickets: TicketRepository, *, after_seconds: float, every_seconds: float
) -> None:
    after = timedelta(seconds=after_seconds)

    async def run() -> None:
        now = _to_ms(scheduler.clock.now())
        while await close_due(tickets, now, after) == CLOSE_BATCH:
            continue

    scheduler.every(AUTO_CLOSE, every_seconds, run, first_in=every_seconds)


def _to_ms(now: datetime) -> datetime:
    # BSON dates keep milliseconds; the event and every later read show the same instant.
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)
