"""A customer's later message read for emotion: one escalation per message, never a lower
priority, nothing for a redelivered message."""

from intake_fakes import GENERAL, T0, FakeCategories, FakeTickets, new_ticket

from intake.conversation import post_channel_message
from intake.domain.emotion_escalation import escalate_on_emotion
from ticketflow_shared.events import Channel, Priority, TicketEscalatedV1, TicketUpdatedV1

ANGRY = "This is UNACCEPTABLE, the worst support ever!!"


def test_an_angry_message_raises_one_step_and_says_why():
    ticket = new_ticket()  # general: normal

    assert escalate_on_emotion(ticket, ANGRY, source="intake", now=T0)

    assert ticket.priority is Priority.high
    updated, escalated = ticket.events
    assert isinstance(updated, TicketUpdatedV1) and isinstance(escalated, TicketEscalatedV1)
    assert escalated.reason.startswith("emotion score") and "unacceptable" in escalated.reason
    assert ticket.history[-1].note == escalated.reason


def test_a_crisis_goes_to_urgent_and_a_calm_message_changes_nothing():
    crisis, calm = new_ticket(), new_ticket()

    assert escalate_on_emotion(crisis, "I will call my lawyer", source="intake", now=T0)
    assert not escalate_on_emotion(calm, "Thanks, that helped", source="intake", now=T0)

    assert crisis.priority is Priority.urgent
    assert (calm.priority, calm.events) == (Priority.normal, [])


def test_an_urgent_ticket_is_not_escalated_again():
    ticket = new_ticket()
    escalate_on_emotion(ticket, "my lawyer will hear of this", source="intake", now=T0)
    ticket.events.clear()

    assert not escalate_on_emotion(ticket, "my lawyer again", source="intake", now=T0)
    assert ticket.events == []


async def test_a_redelivered_channel_message_escalates_once():
    tickets = FakeTickets()
    ticket = new_ticket()
    await tickets.add(ticket)

    for _ in range(2):
        current = await tickets.get(ticket.id)
        await post_channel_message(
            tickets,
            FakeCategories(GENERAL),
            current,
            body=ANGRY,
            channel=Channel.chat,
            source_ref="slack-event-1",
        )

    escalations = [e for e in tickets.published if isinstance(e, TicketEscalatedV1)]
    assert len(escalations) == 1
    assert (await tickets.get(ticket.id)).priority is Priority.high
