"""Delivery state machine: attempts, leases, the dedupe decision and the recorded event."""

from datetime import timedelta

import pytest
from notify_fakes import START

from notify.domain.deliveries import (
    Delivery,
    DeliveryStatus,
    InvalidTransition,
    Step,
    ascii_address,
    delivery_id,
    recipient_problem,
)
from notify.domain.templates import RenderedEmail
from notify.domain.threads import Threading, event_message_id
from notify.domain.tickets import TicketView
from ticketflow_shared.events import NotificationSentV1

LEASE = timedelta(seconds=30)
TICKET = TicketView("TF-5", "jane@example.com", "Jane Doe", "Printer on fire", "technical")


def new_delivery(event_id: str = "evt-1", subject: str = "We received your request") -> Delivery:
    return Delivery.for_event(
        event_id=event_id,
        event_type="ticket.created.v1",
        template="ticket.created.v1",
        ticket=TICKET,
        email=RenderedEmail(subject, "Hello"),
        message_id=event_message_id(event_id, TICKET.ticket_id, "ticketflow.local"),
        now=START,
    )


def test_identity_and_message_id_come_from_the_event():
    delivery = new_delivery("evt-9")
    assert delivery.id == delivery_id("evt-9") == "evt-9:email"
    assert delivery.message_id == "<evt-9.TF-5@ticketflow.local>"
    assert new_delivery("evt-9").message_id == delivery.message_id
    assert delivery.email().recipient == "jane@example.com"


def test_every_subject_carries_the_ticket_reference_once():
    assert new_delivery(subject="We received your request").subject == (
        "[TF-5] We received your request"
    )
    assert new_delivery(subject="Your request [TF-5] is solved").subject == (
        "Your request [TF-5] is solved"
    )


def test_the_threading_headers_travel_with_the_email():
    delivery = Delivery.for_event(
        event_id="evt-2",
        event_type="ticket.message_added.v1",
        template="reply",
        ticket=TICKET,
        email=RenderedEmail("Re: Printer on fire", "Unplug it."),
        message_id="<M-1.TF-5@ticketflow.local>",
        threading=Threading("<evt-1.email@ticketflow.local>", ("<evt-1.email@ticketflow.local>",)),
        now=START,
    )
    email = delivery.email()
    assert (email.message_id, email.in_reply_to, email.references) == (
        "<M-1.TF-5@ticketflow.local>",
        "<evt-1.email@ticketflow.local>",
        ("<evt-1.email@ticketflow.local>",),
    )
    assert (delivery.template, delivery.event_type) == ("reply", "ticket.message_added.v1")


def test_new_delivery_is_pending_and_free_to_send():
    delivery = new_delivery()
    assert delivery.status is DeliveryStatus.pending
    assert delivery.attempts == 0
    assert delivery.next_step(START) is Step.send


def test_an_attempt_holds_a_lease_other_copies_wait_for():
    delivery = new_delivery()
    delivery.begin_attempt(START, LEASE)
    assert delivery.attempts == 1
    assert delivery.next_step(START + LEASE - timedelta(seconds=1)) is Step.wait
    # The sender may have crashed mid-send: after the lease, another copy may resend.
    assert delivery.next_step(START + LEASE) is Step.send


def test_sent_records_one_notification_sent_event():
    delivery = new_delivery()
    delivery.begin_attempt(START, LEASE)
    delivery.mark_sent(START + timedelta(seconds=1), "250 OK")
    assert delivery.status is DeliveryStatus.sent
    assert delivery.sent_at == START + timedelta(seconds=1)
    assert delivery.smtp_response == "250 OK"
    assert delivery.events == [
        NotificationSentV1(
            notification_id="evt-1:email",
            ticket_id="TF-5",
            cause_event_id="evt-1",
            cause_event_type="ticket.created.v1",
            recipient="jane@example.com",
            template="ticket.created.v1",
            sent_at=START + timedelta(seconds=1),
        )
    ]


def test_a_sent_delivery_is_skipped_forever():
    delivery = new_delivery()
    delivery.begin_attempt(START, LEASE)
    delivery.mark_sent(START, "250 OK")
    assert delivery.next_step(START + timedelta(days=1)) is Step.skip
    with pytest.raises(InvalidTransition):
        delivery.begin_attempt(START + timedelta(days=1), LEASE)


def test_a_failure_is_recorded_and_released_for_the_retry():
    delivery = new_delivery()
    delivery.begin_attempt(START, LEASE)
    delivery.mark_failed(START + timedelta(seconds=2), "SMTPConnectError: refused")
    assert delivery.status is DeliveryStatus.failed
    assert delivery.error == "SMTPConnectError: refused"
    assert delivery.events == []
    assert delivery.next_step(START + timedelta(seconds=2)) is Step.send

    delivery.begin_attempt(START + timedelta(seconds=3), LEASE)
    delivery.mark_sent(START + timedelta(seconds=4), "250 OK")
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.sent, 2, None)


def test_outcomes_need_an_attempt_in_progress():
    with pytest.raises(InvalidTransition):
        new_delivery().mark_sent(START, "250 OK")
    failed = new_delivery()
    failed.begin_attempt(START, LEASE)
    failed.mark_failed(START, "boom")
    with pytest.raises(InvalidTransition):
        failed.mark_failed(START, "again")


def test_an_abandoned_attempt_number_is_skipped_only_during_an_attempt():
    delivery = new_delivery()
    with pytest.raises(InvalidTransition):
        delivery.skip_abandoned_attempt()
    delivery.begin_attempt(START, LEASE)
    delivery.skip_abandoned_attempt()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, 2)


def test_long_errors_are_truncated():
    delivery = new_delivery()
    delivery.begin_attempt(START, LEASE)
    delivery.mark_failed(START, "x" * 5000)
    assert len(delivery.error) == 1000


def test_an_internationalised_domain_is_sent_to_in_its_idna_2008_form():
    assert recipient_problem("pat@straße.de") is None
    assert ascii_address("pat@straße.de") == "pat@xn--strae-oqa.de"
    assert ascii_address("pat@example.com") == "pat@example.com"
    assert "SMTPUTF8" in recipient_problem("ü@example.com")
    assert recipient_problem("no-at-sign") is not None
