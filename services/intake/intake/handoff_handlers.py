"""Handoffs in the service layer: transfers against the receiving department's checklist,
and consults asked and answered."""

from intake.domain.consults import Consult, new_consult_id
from intake.domain.handoff_commands import AnswerConsult, ConsultDepartment, TransferTicket
from intake.domain.handoffs import NotOwner
from intake.domain.ticket import Ticket
from intake.handlers import Clock, _change, now_ms, visible_ticket
from intake.handoff_ports import ChecklistRepository
from intake.ports import TicketRepository
from ticketflow_shared.access.principal import Scope


async def owned_ticket(tickets: TicketRepository, ticket_id: str, scope: Scope) -> Ticket:
    """The ticket if `scope` may work on it: a department that owned it before or was consulted
    reads it (403 for a change), any other does not know it exists (404)."""
    ticket = await visible_ticket(tickets, ticket_id, scope)
    if not scope.allows(ticket.owning_departments, ticket.created_by):
        raise NotOwner(ticket_id)
    return ticket


async def transfer_ticket(
    command: TransferTicket,
    tickets: TicketRepository,
    checklists: ChecklistRepository,
    clock: Clock = now_ms,
) -> Ticket:
    checklist = await checklists.get(command.department)

    def transfer(ticket: Ticket) -> bool:
        ticket.transfer(
            to_department=command.department,
            skill=command.skill,
            note=command.note or "",
            ticked=command.checklist,
            checklist=checklist,
            actor=command.actor,
            now=clock(),
        )
        return True

    return await _change(tickets, command.ticket_id, transfer)


async def consult_department(
    command: ConsultDepartment, tickets: TicketRepository, clock: Clock = now_ms
) -> tuple[Ticket, Consult]:
    consult_id = new_consult_id()

    def consult(ticket: Ticket) -> bool:
        ticket.consult(
            consult_id=consult_id,
            department=command.department,
            question=command.question,
            actor=command.actor,
            now=clock(),
        )
        return True

    ticket = await _change(tickets, command.ticket_id, consult)
    return ticket, _consult(ticket, consult_id)


async def answer_consult(
    command: AnswerConsult, tickets: TicketRepository, clock: Clock = now_ms
) -> tuple[Ticket, Consult]:
    def answer(ticket: Ticket) -> bool:
        ticket.answer_consult(
            command.consult_id,
            answer=command.answer,
            actor=command.actor,
            answerer=command.departments,
            now=clock(),
        )
        return True

    ticket = await _change(tickets, command.ticket_id, answer)
    return ticket, _consult(ticket, command.consult_id)


def _consult(ticket: Ticket, consult_id: str) -> Consult:
    return next(consult for consult in ticket.consults if consult.id == consult_id)
