"""Intake's service layer for a ticket's conversation: staff replies and notes, the
customer's messages (and the follow-up a message after the close starts), the thread."""

from dataclasses import dataclass

from intake.domain.categories import CategoryRule
from intake.domain.errors import TicketClosed
from intake.domain.idempotency import new_ticket_id
from intake.domain.messages import Message, visible_to
from intake.domain.ticket import Ticket, TicketStatus
from intake.handlers import Clock, _change, now_ms, visible_ticket
from intake.handoff_handlers import owned_ticket
from intake.ports import CategoryRepository, TicketRepository
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.events import AuthorKind, Visibility

STAFF_ROLES = (Role.admin, Role.supervisor, Role.agent, Role.viewer)


@dataclass(frozen=True)
class Posted:
    """Where a message went: its ticket (a follow-up, for a closed one) and the message, if
    it joined a thread (a follow-up's first words are its body)."""

    ticket: Ticket
    message: Message | None


def reads_internal_notes(caller: Principal) -> bool:
    """Staff read internal notes; a customer-facing system (an integration) never does."""
    return caller.has(*STAFF_ROLES)


async def post_staff_message(
    tickets: TicketRepository,
    ticket_id: str,
    *,
    body: str,
    visibility: Visibility,
    caller: Principal,
    in_reply_to: str | None = None,
    clock: Clock = now_ms,
) -> Message:
    """A public reply to the customer or an internal note, by one of the ticket's owners
    (a past owner or a consulted department reads the thread, and answers a consult)."""
    await owned_ticket(tickets, ticket_id, caller.scope())
    added: list[Message] = []

    def add(ticket: Ticket) -> bool:
        added.append(
            ticket.add_message(
                body=body,
                visibility=visibility,
                author=caller.actor,
                author_kind=AuthorKind.agent,
                author_name=caller.name,
                now=clock(),
                agent_id=caller.id if caller.kind == "user" else None,
                in_reply_to=in_reply_to,
            )
        )
        return True

    await _change(tickets, ticket_id, add)
    return added[-1]


async def post_customer_message(
    tickets: TicketRepository,
    categories: CategoryRepository,
    ticket_id: str,
    *,
    body: str,
    caller: Principal,
    in_reply_to: str | None = None,
    clock: Clock = now_ms,
) -> Posted:
    """The customer wrote: into the thread, or, once the ticket is closed, a follow-up."""
    ticket = await visible_ticket(tickets, ticket_id, caller.scope())
    if ticket.status is TicketStatus.closed:
        return Posted(await _follow_up(ticket, body, tickets, categories, clock), None)
    added: list[Message] = []

    def add(current: Ticket) -> bool:
        added.append(
            current.add_message(
                body=body,
                visibility=Visibility.public,
                author=caller.actor,
                author_kind=AuthorKind.customer,
                author_name=current.customer.name,
                now=clock(),
                in_reply_to=in_reply_to,
            )
        )
        return True

    try:
        ticket = await _change(tickets, ticket_id, add)
    except TicketClosed:  # closed between the read above and the write
        closed = await visible_ticket(tickets, ticket_id, caller.scope())
        return Posted(await _follow_up(closed, body, tickets, categories, clock), None)
    return Posted(ticket, added[-1])


async def thread(tickets: TicketRepository, ticket_id: str, caller: Principal) -> list[Message]:
    ticket = await visible_ticket(tickets, ticket_id, caller.scope())
    return visible_to(ticket.messages, internal=reads_internal_notes(caller))


async def _follow_up(
    old: Ticket,
    body: str,
    tickets: TicketRepository,
    categories: CategoryRepository,
    clock: Clock,
) -> Ticket:
    """A new ticket for the same customer, category and department, linked both ways. The
    old ticket's fields carry over, so a requirement added to the category since is no bar."""
    current = await categories.get(old.category)
    rule = CategoryRule(
        old.category,
        default_priority=old.priority,
        department=old.department,
        procedure=current.procedure if current else (),
    )
    follow_up = Ticket.create(
        ticket_id=new_ticket_id(),
        channel=old.channel,
        customer=old.customer,
        subject=old.subject,
        body=body,
        rule=rule,
        fields=old.fields,
        priority=old.priority,
        now=clock(),
        created_by=old.created_by,
        follow_up_of=old.id,
    )
    await tickets.add(follow_up)
    await _change(tickets, old.id, lambda t: t.link_follow_up(follow_up.id, clock()))
    return follow_up
