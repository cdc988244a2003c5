"""Intake's service layer for the agent's desk and the full view of one ticket."""

from dataclasses import dataclass

from intake.conversation import reads_internal_notes
from intake.domain.desk import work_order
from intake.domain.messages import Message, visible_to
from intake.domain.ticket import Ticket, TicketStatus
from intake.handlers import visible_ticket
from intake.handoff_ports import HandoffViews
from intake.ports import TicketRepository
from ticketflow_shared.access.principal import Principal

DESK_STATUSES = (TicketStatus.open, TicketStatus.pending, TicketStatus.on_hold)
# More than any agent holds at once: capacity bounds the open ones, and pending or on-hold
# tickets wait on someone else for days at most before they are solved.
DESK_LIMIT = 500
OTHER_TICKETS = 20
# Open consults shown on a desk; `GET /consults` lists them all.
DESK_CONSULTS = 50


@dataclass(frozen=True)
class Desk:
    agent_id: str
    open: list[Ticket]
    pending: list[Ticket]
    on_hold: list[Ticket]
    # Tickets with a consult waiting for an answer from the agent's departments (None: any).
    consulted: list[Ticket]
    departments: frozenset[str] | None


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    thread: list[Message]
    other_tickets: list[Ticket]
    reads_internal: bool


async def desk(tickets: TicketRepository, views: HandoffViews, caller: Principal) -> Desk:
    """The calling agent's tickets (their agent id is the caller's id), by status, each
    status in work order, and the consults waiting for their departments."""
    scope = caller.scope()
    owned = [
        ticket
        for ticket in await tickets.for_agent(caller.id, DESK_STATUSES, DESK_LIMIT)
        if scope.allows(ticket.departments, ticket.created_by)
    ]

    def of(status: TicketStatus) -> list[Ticket]:
        return work_order(ticket for ticket in owned if ticket.status is status)

    consulted, _ = await views.consulting(scope, "open", DESK_CONSULTS)
    return Desk(
        caller.id,
        of(TicketStatus.open),
        of(TicketStatus.pending),
        of(TicketStatus.on_hold),
        consulted,
        None if scope.everything else scope.departments,
    )


async def ticket_view(tickets: TicketRepository, ticket_id: str, caller: Principal) -> TicketView:
    """The ticket, its thread as the caller may read it, and the customer's other tickets
    (newest first, those the caller sees)."""
    scope = caller.scope()
    ticket = await visible_ticket(tickets, ticket_id, scope)
    theirs, _ = await tickets.find(
        status=None, customer_email=ticket.customer.email, limit=OTHER_TICKETS + 1, scope=scope
    )
    others = [other for other in theirs if other.id != ticket.id][:OTHER_TICKETS]
    internal = reads_internal_notes(caller)
    thread = visible_to(ticket.messages, internal=internal)
    return TicketView(ticket, thread, others, internal)
