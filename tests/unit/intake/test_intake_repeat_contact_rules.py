"""Repeated contact counted on the loaded ticket: unanswered contacts within the window, and a
reason a supervisor can read."""

from datetime import timedelta

from intake_fakes import T0, new_ticket

from intake.domain.repeat_contact import RepeatContactPolicy, contacts_since, repeat_contact_reason
from ticketflow_shared.events import AuthorKind, TicketStatus, Visibility

POLICY = RepeatContactPolicy(count=3, window=timedelta(hours=24))


def customer_writes(ticket, minutes: int, body: str = "any news?") -> None:
    ticket.add_message(
        body=body,
        visibility=Visibility.public,
        author="customer",
        author_kind=AuthorKind.customer,
        author_name="Ada",
        now=T0 + timedelta(minutes=minutes),
    )


def agent_replies(ticket, minutes: int, visibility: Visibility = Visibility.public) -> None:
    ticket.add_message(
        body="Could you send the invoice number?",
        visibility=visibility,
        author="user:ana",
        author_kind=AuthorKind.agent,
        author_name="Ana",
        now=T0 + timedelta(minutes=minutes),
    )


def test_the_request_and_two_chasers_without_a_reply_raise_the_ticket():
    ticket = new_ticket()
    customer_writes(ticket, 10)
    customer_writes(ticket, 20)

    reason = repeat_contact_reason(ticket, POLICY, T0 + timedelta(minutes=21))

    assert reason == "repeated contact: 3 unanswered messages in 24 h"


def test_an_answer_to_an_agents_question_on_a_pending_ticket_is_not_a_chase():
    ticket = new_ticket()
    customer_writes(ticket, 5)
    agent_replies(ticket, 30)
    for status in (TicketStatus.open, TicketStatus.pending):
        ticket.change_status(status, actor="user:ana", reason=None, now=T0 + timedelta(minutes=31))
    customer_writes(ticket, 40, "The invoice number is 4711.")

    assert ticket.status is TicketStatus.open  # the customer's reply woke it
    assert contacts_since(ticket, T0 - timedelta(hours=1)) == 1
    assert repeat_contact_reason(ticket, POLICY, T0 + timedelta(minutes=41)) is None


def test_chasing_after_the_last_reply_counts_again():
    ticket = new_ticket()
    agent_replies(ticket, 30)
    for minutes in (60, 90, 120):
        customer_writes(ticket, minutes)

    assert contacts_since(ticket, T0) == 3
    assert repeat_contact_reason(ticket, POLICY, T0 + timedelta(minutes=121)) is not None


def test_an_internal_note_is_not_an_answer():
    ticket = new_ticket()
    agent_replies(ticket, 5, Visibility.internal)
    customer_writes(ticket, 10)
    customer_writes(ticket, 20)

    assert contacts_since(ticket, T0) == 3


def test_a_window_under_an_hour_is_said_in_minutes():
    short = RepeatContactPolicy(count=3, window=timedelta(minutes=30))
    mixed = RepeatContactPolicy(count=3, window=timedelta(minutes=90))

    assert short.describe(3) == "repeated contact: 3 unanswered messages in 30 min"
    assert mixed.describe(4) == "repeated contact: 4 unanswered messages in 1.5 h"
