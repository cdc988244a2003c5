"""Applying a macro: priority, tags, the reply and the status in one change of the ticket.

These need the lifecycle's `Ticket.change_status` and `Ticket.add_message`, written on
another branch: they fail until both are merged.
"""

from intake_fakes import T0, FakeTickets, assigned, new_ticket, routing
from macro_fakes import FakeMacros

from credentials import ADMIN
from intake.domain.macros import Macro, MacroReply, apply_macro, render_macro
from intake.macro_handlers import apply
from ticketflow_shared.events import (
    AuthorKind,
    Priority,
    TicketMessageAddedV1,
    TicketStatus,
    TicketStatusChangedV1,
    TicketUpdatedV1,
    Visibility,
)

ASK_FOR_ORDER = Macro(
    id="ask-order",
    title="Ask for the order number",
    reply=MacroReply("Which order is it, {{ customer.email }}? {{ agent.name }}"),
    set_status=TicketStatus.pending,
    set_priority=Priority.urgent,
    add_tags=("waiting",),
)


def open_ticket():
    ticket = new_ticket()
    ticket.apply_assigned(routing(1), assigned(ticket.id, "ana"), T0)
    ticket.events.clear()
    return ticket


def test_apply_retags_posts_the_reply_and_sets_the_status_in_that_order():
    ticket = open_ticket()
    version = ticket.version
    rendered = render_macro(ASK_FOR_ORDER, ticket, "ana", "Ana Lopez")

    apply_macro(ticket, ASK_FOR_ORDER, rendered, "user:ana", T0)

    assert [type(event) for event in ticket.events] == [
        TicketUpdatedV1,
        TicketMessageAddedV1,
        TicketStatusChangedV1,
    ]
    assert ticket.version == version + 3
    _, message, status = ticket.events
    assert message.body == "Which order is it, ada@example.com? Ana Lopez"
    assert (message.visibility, message.author_kind) == (Visibility.public, AuthorKind.agent)
    assert (message.author, message.agent_id, message.author_name) == (
        "user:ana",
        "ana",
        "Ana Lopez",
    )
    assert (status.previous, status.status, status.actor) == (
        TicketStatus.open,
        TicketStatus.pending,
        "user:ana",
    )
    assert (ticket.status, ticket.priority, ticket.tags) == (
        TicketStatus.pending,
        Priority.urgent,
        ["waiting"],
    )


class CountingTickets(FakeTickets):
    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    async def save(self, ticket, expected_version: int) -> None:
        self.saves += 1
        await super().save(ticket, expected_version)


async def test_the_handler_saves_the_ticket_once_with_every_event_in_order():
    tickets = CountingTickets()
    await tickets.add(open_ticket())
    macros = FakeMacros()
    await macros.put(ASK_FOR_ORDER)
    [ticket] = tickets.stored.values()

    await apply(ticket.id, ASK_FOR_ORDER.id, ADMIN, tickets, macros, clock=lambda: T0)

    assert tickets.saves == 1
    assert [event.event_type for event in tickets.published] == [
        TicketUpdatedV1.event_type,
        TicketMessageAddedV1.event_type,
        TicketStatusChangedV1.event_type,
    ]
    assert tickets.stored[ticket.id].version == ticket.version + 3
