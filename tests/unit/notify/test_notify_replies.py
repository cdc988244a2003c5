"""Handlers with fakes: agents' public replies reach the customer, threaded; nothing else does."""

import pytest
from notify_fakes import assigned, created, fake_deps, message, resolved, status_changed

from notify.domain.templates import Template
from notify.domain.tickets import TicketNotKnown
from notify.handlers import consumed_events, update_template
from ticketflow_shared.events import AuthorKind, TicketStatus, Visibility

DOMAIN = "ticketflow.local"


async def deliver(deps, envelope):
    await consumed_events(deps)(envelope, envelope.payload())


async def test_a_public_agent_reply_is_emailed_in_the_tickets_thread():
    deps = fake_deps()
    first = created("TF-1")
    await deliver(deps, first)
    await deliver(deps, assigned("TF-1"))
    await deliver(deps, message("TF-1", "Refunded; see you.", message_id="M-aa"))
    await deliver(deps, message("TF-1", "One more thing.", message_id="M-bb"))

    ack, given, reply, again = deps.sender.sent
    assert reply.subject == "[TF-1] Re: Invoice charged twice"
    assert reply.body.startswith("Refunded; see you.\n\n-- \nAna Lopez, ticketflow support\n")
    assert reply.message_id == f"<M-aa.TF-1@{DOMAIN}>"
    assert (reply.in_reply_to, reply.references) == (
        given.message_id,
        (ack.message_id, given.message_id),
    )
    assert (ack.in_reply_to, ack.references) == (None, ())
    assert ack.message_id == f"<{first.id}.{first.subject}@{DOMAIN}>"
    assert again.in_reply_to == reply.message_id
    assert again.references == (ack.message_id, given.message_id, reply.message_id)
    assert deps.tickets.rows["TF-1"].thread == tuple(e.message_id for e in deps.sender.sent)
    assert [p.data["template"] for p in deps.publish_outbox.published][2:] == ["reply", "reply"]


@pytest.mark.parametrize(
    ("visibility", "author_kind"),
    [
        (Visibility.internal, AuthorKind.agent),
        (Visibility.public, AuthorKind.customer),
        (Visibility.internal, AuthorKind.system),
        (Visibility.public, AuthorKind.system),
    ],
)
async def test_internal_notes_and_customer_messages_send_nothing_and_touch_no_store(
    visibility, author_kind
):
    deps = fake_deps()
    await deliver(deps, created("TF-1"))
    writes, sent = deps.tickets.writes, len(deps.sender.sent)
    event = message(
        "TF-1", "Card number in the CRM", visibility=visibility, author_kind=author_kind
    )
    await deliver(deps, event)
    assert len(deps.sender.sent) == sent == 1
    assert deps.tickets.writes == writes
    assert f"{event.id}:email" not in deps.deliveries.rows


async def test_a_redelivered_reply_is_sent_once():
    deps = fake_deps()
    await deliver(deps, created("TF-1"))
    reply = message("TF-1")
    await deliver(deps, reply)
    await deliver(deps, reply)
    assert [e.subject for e in deps.sender.sent].count("[TF-1] Re: Invoice charged twice") == 1
    assert len(deps.tickets.rows["TF-1"].thread) == 2


async def test_a_reply_to_an_unknown_ticket_waits_for_its_creation():
    deps = fake_deps()
    with pytest.raises(TicketNotKnown):
        await deliver(deps, message("TF-404"))
    assert deps.sender.sent == []


async def test_the_reply_template_is_data():
    deps = fake_deps()
    await update_template(
        deps, Template("reply", "Answer on {{ ticket.reference }}", "{{ event.body | upper }}")
    )
    await deliver(deps, created("TF-1"))
    await deliver(deps, message("TF-1", "done"))
    assert (deps.sender.sent[1].subject, deps.sender.sent[1].body) == (
        "[TF-1] Answer on TF-1",
        "DONE",
    )


async def test_only_switched_on_status_templates_email_and_solved_never_does():
    deps = fake_deps()
    await deliver(deps, created("TF-1"))
    await deliver(deps, status_changed("TF-1", TicketStatus.pending))
    await deliver(deps, status_changed("TF-1", TicketStatus.on_hold, TicketStatus.pending))
    await deliver(deps, status_changed("TF-1", TicketStatus.solved, TicketStatus.on_hold))
    await deliver(deps, resolved("TF-1"))
    subjects = [e.subject for e in deps.sender.sent]
    assert subjects == [
        "We received your request [TF-1]: Invoice charged twice",
        "We need something from you [TF-1]: Invoice charged twice",
        "Your request [TF-1] has been resolved",
    ]
    pending = deps.sender.sent[1]
    assert pending.in_reply_to == deps.sender.sent[0].message_id


async def test_an_operator_switches_a_status_email_on_and_off():
    deps = fake_deps()
    await deliver(deps, created("TF-1"))
    await update_template(deps, Template("status.on_hold", "On hold", "Hold on."))
    await update_template(deps, Template("status.pending", "p", "p", enabled=False))
    writes = deps.tickets.writes
    await deliver(deps, status_changed("TF-1", TicketStatus.pending))
    assert deps.tickets.writes == writes  # switched off: not even the ticket is read
    await deliver(deps, status_changed("TF-1", TicketStatus.on_hold, TicketStatus.pending))
    assert [e.subject for e in deps.sender.sent][1:] == ["[TF-1] On hold"]
