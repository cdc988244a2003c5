"""A customer's later message read for emotion: angry raises the ticket one step, a crisis
to urgent, recorded with its reason as ticket.escalated.v1."""

from datetime import datetime

from intake.domain import emotion
from intake.domain.ticket import Ticket


def escalate_on_emotion(ticket: Ticket, text: str, *, source: str, now: datetime) -> bool:
    """False when the message is calm or the ticket is already as urgent as it calls for."""
    felt = emotion.score(text)
    raised = emotion.escalated_priority(ticket.priority, felt)
    if raised is None:
        return False
    return ticket.escalate_for_emotion(raised, felt.reason(), source=source, now=now)
