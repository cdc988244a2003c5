"""A customer's later message read for emotion (angry raises the ticket one step, a crisis to
urgent) and counted as a contact (repeated contact raises it one step), recorded with its
reasons as one ticket.escalated.v1."""

from datetime import datetime

from intake.domain import emotion
from intake.domain.repeat_contact import RepeatContactPolicy, repeat_contact_reason
from intake.domain.ticket import Ticket


def escalate_on_emotion(ticket: Ticket, text: str, *, source: str, now: datetime) -> bool:
    """False when the message is calm or the ticket is already as urgent as it calls for."""
    felt = emotion.score(text)
    raised = emotion.escalated_priority(ticket.priority, felt)
    if raised is None:
        return False
    return ticket.escalate_for_emotion(raised, felt.reason(), source=source, now=now)


def escalate_on_message(
    ticket: Ticket, text: str, repeat: RepeatContactPolicy, *, source: str, now: datetime
) -> bool:
    """The customer's message `text`, just added to the thread: its emotion and the ticket's
    repeated contact may each call for a raise. The more urgent is taken, in one escalation
    giving every reason that applied; False when neither changes the priority."""
    felt = emotion.score(text)
    by_emotion = emotion.escalated_priority(ticket.priority, felt)
    repeated = repeat_contact_reason(ticket, repeat, now)
    by_repeat = emotion.one_step_up(ticket.priority) if repeated else None
    calls = [(p, why) for p, why in ((by_emotion, felt.reason()), (by_repeat, repeated)) if p]
    if not calls:
        return False
    raised = min((p for p, _ in calls), key=lambda p: p.rank)
    reason = "; ".join(why for _, why in calls if why)
    return ticket.escalate_for_emotion(raised, reason, source=source, now=now)
