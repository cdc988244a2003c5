"""Intake's service layer for the lifecycle: status changes, procedure ticks, and each
category's procedure."""

from intake.domain.errors import CategoryNotFound
from intake.domain.procedure import ProcedureStep
from intake.domain.ticket import Ticket, TicketStatus
from intake.handlers import Clock, _change, now_ms
from intake.handoff_handlers import owned_ticket
from intake.ports import CategoryRepository, TicketRepository
from ticketflow_shared.access.principal import Scope


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
    # Past owners and consulted departments read the ticket; only its owners change it.
    await owned_ticket(tickets, ticket_id, scope)

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
    await owned_ticket(tickets, ticket_id, scope)

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
