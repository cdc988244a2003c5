"""Repeated contact: a customer who writes about an open ticket again and again within a short
window, with no public reply in between, is counted, and the ticket is raised one step once
per window."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.domain.ticket import MERGE, Ticket
from ticketflow_shared.events import AuthorKind, TicketEscalatedV1

# What an escalation's reason says when repeated contact caused it (also how one is found).
REASON_PREFIX = "repeated contact: "
_COPIED = f"{MERGE}:"  # source_ref of a message copied from a merged ticket


@dataclass(frozen=True)
class RepeatContactPolicy:
    """At least `count` customer contacts (the opening request included) within `window`
    raise the ticket; after that, not again until a whole window has passed."""

    enabled: bool = True
    count: int = 3
    window: timedelta = timedelta(hours=24)

    def describe(self, contacts: int) -> str:
        return f"{REASON_PREFIX}{contacts} unanswered messages in {spoken(self.window)}"


def spoken(window: timedelta) -> str:
    """A window as a person says it: `24 h`, `1.5 h`, `30 min`."""
    minutes = window.total_seconds() / 60
    if minutes < 60:
        return f"{round(minutes, 1):g} min"
    return f"{round(minutes / 60, 2):g} h"


DEFAULT_POLICY = RepeatContactPolicy()


def contacts_since(ticket: Ticket, since: datetime) -> int:
    """The customer's unanswered contacts on the ticket at or after `since`: the request that
    opened it and each customer message since the last public reply (an answer to an agent's
    question is one contact, not a chase; copies from a merged ticket are not contacts)."""
    answered = max(
        (message.at for message in ticket.messages if message.is_public_reply), default=None
    )
    if answered is not None and answered >= since:
        since, opened = answered, 0
    else:
        opened = 1 if ticket.created_at >= since else 0
    return opened + sum(
        1
        for message in ticket.messages
        if message.author_kind is AuthorKind.customer
        and message.at >= since
        and not (answered is not None and message.at <= answered)
        and not (message.source_ref or "").startswith(_COPIED)
    )


def escalated_for_repeat_since(ticket: Ticket, since: datetime) -> bool:
    escalated = TicketEscalatedV1.event_type
    return any(
        entry.event_type == escalated and entry.at >= since and REASON_PREFIX in (entry.note or "")
        for entry in ticket.history
    )


def repeat_contact_reason(ticket: Ticket, policy: RepeatContactPolicy, now: datetime) -> str | None:
    """Why the ticket is due a raise for repeated contact now, or None: off, too few contacts
    within the window, or raised for it within the window already."""
    if not policy.enabled:
        return None
    since = now - policy.window
    contacts = contacts_since(ticket, since)
    if contacts < policy.count or escalated_for_repeat_since(ticket, since):
        return None
    return policy.describe(contacts)
