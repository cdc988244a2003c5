"""The conversation on a ticket: replies, notes, the customer's messages and their rules."""

import re
from datetime import timedelta

import pytest
from intake_fakes import T0, assigned, new_ticket, routing

from intake.domain import messages
from intake.domain.errors import ThreadFull, TicketClosed, UnknownMessage
from intake.domain.ticket import Ticket
from ticketflow_shared.events import (
    AuthorKind,
    TicketMessageAddedV1,
    TicketStatus,
    TicketStatusChangedV1,
    Visibility,
)

LATER = T0 + timedelta(minutes=5)


def open_ticket() -> Ticket:
    ticket = new_ticket()
    ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-7"), T0)
    ticket.events.clear()
    return ticket


def reply(ticket: Ticket, visibility=Visibility.public, **extra):
    return ticket.add_message(
        body="We are on it.",
        visibility=visibility,
        author="user:ana",
        author_kind=AuthorKind.agent,
        author_name="Ana",
        now=LATER,
        agent_id="ana",
        **extra,
    )


def from_customer(ticket: Ticket, **extra):
    return ticket.add_message(
        body="Any news?",
        visibility=Visibility.public,
        author="key:crm",
        author_kind=AuthorKind.customer,
        author_name="Ada",
        now=LATER,
        **extra,
    )


def test_a_reply_records_message_added_with_an_m_id():
    ticket = open_ticket()
    version = ticket.version

    message = reply(ticket)

    assert re.fullmatch(r"M-[0-9a-f]{24}", message.id)
    [event] = ticket.events
    assert isinstance(event, TicketMessageAddedV1)
    assert (event.message_id, event.author, event.author_kind) == (
        message.id,
        "user:ana",
        AuthorKind.agent,
    )
    assert (event.visibility, event.body, event.agent_id) == (
        Visibility.public,
        "We are on it.",
        "ana",
    )
    assert ticket.messages == [message]
    assert ticket.version == version + 1


def test_only_the_first_public_agent_reply_is_the_first_response():
    ticket = open_ticket()

    reply(ticket, Visibility.internal)
    from_customer(ticket)
    reply(ticket)
    reply(ticket)

    flags = [e.first_response for e in ticket.events if isinstance(e, TicketMessageAddedV1)]
    assert flags == [False, False, True, False]
    assert ticket.first_response_at == LATER


def test_a_customer_message_moves_a_pending_ticket_to_open():
    ticket = open_ticket()
    ticket.change_status(TicketStatus.pending, actor="user:ana", reason=None, now=T0)
    ticket.events.clear()

    from_customer(ticket)

    added, changed = ticket.events
    assert isinstance(added, TicketMessageAddedV1)
    assert isinstance(changed, TicketStatusChangedV1)
    assert (changed.previous, changed.status, changed.actor) == (
        TicketStatus.pending,
        TicketStatus.open,
        "key:crm",
    )
    assert changed.reopened is False
    assert ticket.status is TicketStatus.open


def test_a_customer_message_reopens_a_solved_ticket():
    ticket = open_ticket()
    ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=T0)
    ticket.events.clear()

    from_customer(ticket)

    assert ticket.status is TicketStatus.open
    assert ticket.events[-1].reopened is True
    assert ticket.reopen_count == 1


@pytest.mark.parametrize("status", [TicketStatus.new, TicketStatus.open, TicketStatus.on_hold])
def test_a_customer_message_leaves_other_statuses(status):
    ticket = open_ticket()
    ticket.status = status

    from_customer(ticket)

    assert ticket.status is status
    assert [type(e) for e in ticket.events] == [TicketMessageAddedV1]


def test_a_closed_ticket_takes_no_message():
    ticket = open_ticket()
    ticket.status = TicketStatus.closed

    with pytest.raises(TicketClosed):
        from_customer(ticket)
    with pytest.raises(TicketClosed):
        reply(ticket)
    assert (ticket.messages, ticket.events) == ([], [])


def test_a_reply_names_a_message_of_the_thread():
    ticket = open_ticket()
    first = from_customer(ticket)

    answer = reply(ticket, in_reply_to=first.id)

    assert answer.in_reply_to == first.id
    with pytest.raises(UnknownMessage):
        reply(ticket, in_reply_to="M-" + "0" * 24)


def test_the_thread_is_bounded():
    ticket = open_ticket()
    for _ in range(messages.MAX_MESSAGES):
        reply(ticket, Visibility.internal)
    version = ticket.version

    with pytest.raises(ThreadFull) as refused:
        from_customer(ticket)

    assert refused.value.status == 409
    assert (len(ticket.messages), ticket.version) == (messages.MAX_MESSAGES, version)


def test_internal_notes_are_for_staff_only():
    ticket = open_ticket()
    note = reply(ticket, Visibility.internal)
    public = reply(ticket)

    assert messages.visible_to(ticket.messages, internal=True) == [note, public]
    assert messages.visible_to(ticket.messages, internal=False) == [public]


def test_a_channel_redelivery_returns_the_message_it_made_and_records_nothing():
    ticket = open_ticket()
    first = from_customer(ticket, channel="email", source_ref="<m-1@example.com>")
    version, events = ticket.version, len(ticket.events)

    again = from_customer(ticket, channel="email", source_ref="<m-1@example.com>")

    assert again == first
    assert len(ticket.messages) == 1
    assert (ticket.version, len(ticket.events)) == (version, events)
    added = ticket.events[-1] if isinstance(ticket.events[-1], TicketMessageAddedV1) else None
    assert added is not None and added.channel == "email"


def test_a_closed_ticket_still_answers_a_redelivery_of_what_it_took():
    ticket = open_ticket()
    first = from_customer(ticket, source_ref="evt-9")
    ticket.status = TicketStatus.closed

    assert from_customer(ticket, source_ref="evt-9") == first
    with pytest.raises(TicketClosed):
        from_customer(ticket, source_ref="evt-10")
