"""Handlers with in-memory fakes: one email per event, however often the event arrives."""

import asyncio
from datetime import timedelta
from itertools import pairwise

import pytest
from notify_fakes import assigned, created, fake_deps, resolved

from notify.domain.deliveries import DeliveryStatus
from notify.domain.templates import Template, TemplateInvalid
from notify.domain.tickets import TicketNotKnown
from notify.handlers import DeliveryBusy, consumed_events, deliveries_of_ticket, update_template
from notify.ports import EmailNotSent, EmailUndeliverable


async def deliver(deps, envelope):
    await consumed_events(deps)(envelope, envelope.payload())


async def test_created_sends_one_email_and_records_notification_sent():
    deps = fake_deps()
    event = created("TF-1", "jane@example.com")
    await deliver(deps, event)

    [email] = deps.sender.sent
    assert email.recipient == "jane@example.com"
    assert email.subject == "We received your request [TF-1]: Invoice charged twice"
    assert email.message_id == f"<{event.id}.{event.subject}@ticketflow.local>"
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.sent, 1)
    [published] = deps.publish_outbox.published
    assert published.type == "notification.sent.v1"
    assert published.subject == "TF-1"
    assert published.data["cause_event_id"] == event.id
    assert deps.deliveries.outboxes[delivery.id][0]["id"] == published.id


async def test_assigned_and_resolved_use_the_ticket_read_model():
    deps = fake_deps()
    await deliver(deps, created("TF-2", "omar@example.com"))
    await deliver(deps, assigned("TF-2"))
    await deliver(deps, resolved("TF-2"))
    subjects = [e.subject for e in deps.sender.sent]
    assert subjects[1:] == [
        "Your request [TF-2] is now with Ana Lopez (billing)",
        "Your request [TF-2] has been resolved",
    ]
    assert {e.recipient for e in deps.sender.sent} == {"omar@example.com"}
    assert len(deps.publish_outbox.published) == 3


async def test_the_same_event_twice_sends_once():
    deps = fake_deps()
    event = created()
    await deliver(deps, event)
    await deliver(deps, event)
    assert len(deps.sender.sent) == 1
    assert len(deps.publish_outbox.published) == 1


async def test_event_for_an_unknown_ticket_raises_so_the_bus_retries():
    deps = fake_deps()
    with pytest.raises(TicketNotKnown):
        await deliver(deps, assigned("TF-404"))
    assert deps.sender.sent == []
    assert deps.deliveries.rows == {}


async def test_smtp_failure_is_recorded_raised_and_retried():
    deps = fake_deps()
    deps.sender.failures.append("SMTPConnectError: refused")
    event = created()
    with pytest.raises(EmailNotSent):
        await deliver(deps, event)
    failed = deps.deliveries.rows[f"{event.id}:email"]
    assert (failed.status, failed.attempts, failed.error) == (
        DeliveryStatus.failed,
        1,
        "SMTPConnectError: refused",
    )
    assert deps.publish_outbox.published == []

    await deliver(deps, event)  # the bus's redelivery
    sent = deps.deliveries.rows[f"{event.id}:email"]
    assert (sent.status, sent.attempts, sent.error) == (DeliveryStatus.sent, 2, None)
    assert len(deps.sender.sent) == 1
    assert len(deps.publish_outbox.published) == 1


async def test_a_copy_waits_while_another_attempt_sends_then_skips():
    deps = fake_deps()
    event = created()
    await _leave_attempt_in_flight(deps, event)

    reads = []

    def other_attempt_finishes_after_a_while(rows):
        reads.append(deps.clock())
        if len(reads) == 3:
            rows[f"{event.id}:email"].mark_sent(deps.clock(), "250 OK")

    deps.deliveries.on_get = other_attempt_finishes_after_a_while
    await deliver(deps, event)
    assert deps.sender.sent == []  # the other attempt's email is the one
    assert len(reads) == 3 and reads[0] < reads[2]  # it polled rather than spun


async def test_a_copy_takes_over_once_a_crashed_attempts_lease_runs_out():
    deps = fake_deps()
    event = created()
    await _leave_attempt_in_flight(deps, event)
    await deliver(deps, event)
    [email] = deps.sender.sent
    assert email.message_id == f"<{event.id}.{event.subject}@ticketflow.local>"
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.sent, 2)
    assert deps.clock() >= delivery.created_at + deps.send_lease


async def test_a_takeover_after_a_lost_outcome_is_shown_as_a_possible_duplicate():
    deps = fake_deps()
    event = created()
    await _leave_attempt_in_flight(deps, event)
    await deliver(deps, event)
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert delivery.abandoned_attempts == 1
    assert delivery.possibly_duplicated


async def test_a_retry_after_a_recorded_failure_is_no_possible_duplicate():
    deps = fake_deps()
    event = created()
    deps.sender.failures.append("421 try later")
    with pytest.raises(EmailNotSent):
        await deliver(deps, event)
    await deliver(deps, event)
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.sent, 2)
    assert (delivery.abandoned_attempts, delivery.possibly_duplicated) == (0, False)


@pytest.mark.parametrize(
    ("address", "reason"),
    [("ü@exämple.com", "SMTPUTF8"), ("josé@example.com", "SMTPUTF8")],
)
async def test_an_address_no_mail_server_takes_is_undeliverable_at_once(address, reason):
    deps = fake_deps()
    event = created("TF-8", address)
    await deliver(deps, event)  # no exception: nothing for the bus to retry
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert delivery.status is DeliveryStatus.undeliverable
    assert reason in delivery.error
    assert (deps.sender.sent, deps.publish_outbox.published) == ([], [])
    await deliver(deps, event)  # a redelivery changes nothing
    assert deps.deliveries.rows[f"{event.id}:email"] == delivery


async def test_a_final_refusal_by_the_mail_server_is_recorded_and_not_retried():
    deps = fake_deps()
    event = created()
    deps.sender.failures.append(EmailUndeliverable("recipient refused: 550 no such user"))
    await deliver(deps, event)
    delivery = deps.deliveries.rows[f"{event.id}:email"]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.undeliverable, 1)
    assert delivery.error == "recipient refused: 550 no such user"
    await deliver(deps, event)  # a redelivered copy skips it
    assert deps.sender.sent == []


async def test_a_name_with_line_breaks_is_folded_into_one_header_safe_name():
    deps = fake_deps()
    await deliver(deps, created("TF-9", "eve@example.com", name="Eve\r\nBcc: x@example.com\x00"))
    [email] = deps.sender.sent
    assert email.recipient_name == "Eve Bcc: x@example.com"


async def test_a_tickets_deliveries_are_listed_by_id_oldest_first():
    deps = fake_deps()
    await deliver(deps, created("TF-10"))
    deps.clock.now += timedelta(seconds=1)
    await deliver(deps, assigned("TF-10"))
    await deliver(deps, created("TF-11"))
    found = await deliveries_of_ticket(deps, "TF-10", None, 10)
    assert [d.event_type for d in found] == ["ticket.created.v1", "ticket.assigned.v1"]
    assert await deliveries_of_ticket(deps, "TF-10", DeliveryStatus.failed, 10) == []


async def test_a_copy_gives_up_when_the_lease_keeps_being_renewed():
    deps = fake_deps()
    event = created()
    await _leave_attempt_in_flight(deps, event)

    def someone_keeps_renewing(rows):
        rows[f"{event.id}:email"].leased_until = deps.clock() + timedelta(seconds=5)

    deps.deliveries.on_get = someone_keeps_renewing
    with pytest.raises(DeliveryBusy):
        await deliver(deps, event)
    assert deps.sender.sent == []


async def test_a_copy_that_died_between_election_and_update_blocks_nobody_for_long():
    deps = fake_deps()
    event = created()
    delivery_id = f"{event.id}:email"
    await _leave_attempt_in_flight(deps, event)

    def die_before_saving_the_attempt(delivery):
        raise ConnectionError("process died")

    deps.deliveries.on_elected = die_before_saving_the_attempt
    with pytest.raises(ConnectionError):
        await deliver(deps, event)  # takes over once the lease ran out, elects #2, dies
    deps.deliveries.on_elected = None
    assert f"{delivery_id}#2" in deps.deliveries.attempts
    assert deps.deliveries.rows[delivery_id].attempts == 1  # the election never reached it
    died_at = deps.clock()

    reads = _paced_reads(deps)
    await deliver(deps, event)  # the bus's redelivery
    [email] = deps.sender.sent
    assert email.message_id == f"<{event.id}.{event.subject}@ticketflow.local>"
    delivery = deps.deliveries.rows[delivery_id]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.sent, 3)  # #2 skipped
    assert len(deps.publish_outbox.published) == 1
    # It waited out the dead copy's lease, polling, then took over within its own deadline.
    assert died_at + deps.send_lease <= deps.clock() < died_at + deps.send_lease * 2
    assert all(earlier < later for earlier, later in pairwise(reads))

    await deliver(deps, event)  # yet another copy: nothing more to send
    assert len(deps.sender.sent) == 1


async def test_a_copy_that_keeps_losing_the_election_gives_up_within_its_deadline():
    deps = fake_deps()
    event = created()
    delivery_id = f"{event.id}:email"
    await _leave_attempt_in_flight(deps, event)
    deps.clock.now += deps.send_lease  # the lease ran out: every read says "send"
    started = deps.clock()
    reads = _paced_reads(deps)
    read_row = deps.deliveries.on_get

    def another_copy_just_elected_itself(rows):
        read_row(rows)
        next_attempt = rows[delivery_id].attempts + 1
        deps.deliveries.attempts[f"{delivery_id}#{next_attempt}"] = deps.clock()

    deps.deliveries.on_get = another_copy_just_elected_itself
    with pytest.raises(DeliveryBusy):
        await deliver(deps, event)
    assert deps.sender.sent == []
    assert deps.clock() - started == deps.send_lease * 2  # the deadline, not a spin
    assert all(earlier < later for earlier, later in pairwise(reads))


async def test_template_update_is_validated_then_used():
    deps = fake_deps()
    with pytest.raises(TemplateInvalid):
        await update_template(deps, Template("ticket.created.v1", "{{ oops", "b"))
    stored = await update_template(
        deps, Template("ticket.created.v1", "Got it: {{ ticket.reference }}", "Thanks")
    )
    assert stored.updated_at is not None
    await deliver(deps, created("TF-3"))
    # The template left out the ticket's tag, so it goes in front: every email carries it.
    assert deps.sender.sent[0].subject == "[TF-3] Got it: TF-3"
    assert deps.sender.sent[0].body == "Thanks"


async def _leave_attempt_in_flight(deps, event):
    """Simulate a process that inserted the delivery and then died (or is still sending)."""
    deps.sender.failures.append("crash")
    real_save_unsent = deps.deliveries.save_unsent

    async def crash_before_saving(delivery):
        return None

    deps.deliveries.save_unsent = crash_before_saving
    with pytest.raises(EmailNotSent):
        await deliver(deps, event)
    deps.deliveries.save_unsent = real_save_unsent
    row = deps.deliveries.rows[f"{event.id}:email"]
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 1)


def _paced_reads(deps, limit=1000):
    """Record when each delivery read happens; fail rather than hang if reads never stop."""
    reads = []

    def record(rows):
        reads.append(deps.clock())
        assert len(reads) <= limit, "reads the delivery without end"

    deps.deliveries.on_get = record
    return reads


async def test_only_a_few_sends_are_between_the_servers_reply_and_its_record_at_once():
    deps = fake_deps()
    deps.send_slots = asyncio.Semaphore(2)
    under_way = []
    most = 0

    class SlowServer:
        async def send(self, email):
            nonlocal most
            under_way.append(email)
            most = max(most, len(under_way))
            await asyncio.sleep(0.01)
            under_way.remove(email)
            return "250 OK"

    deps.sender = SlowServer()
    events = [created(f"TF-{n}") for n in range(8)]
    await asyncio.gather(*(deliver(deps, event) for event in events))
    assert most == 2
    assert {d.status for d in deps.deliveries.rows.values()} == {DeliveryStatus.sent}
