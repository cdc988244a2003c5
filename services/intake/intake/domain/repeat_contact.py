"""Repeated contact: a customer who writes about an open ticket again and again within a short
window is counted, and the ticket is raised one step once per window."""

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
        hours = self.window.total_seconds() / 3600
        return f"{REASON_PREFIX}{contacts} messages in {hours:g} h"


DEFAULT_POLICY = RepeatContactPolicy()


def contacts_since(ticket: Ticket, since: datetime) -> int:
    """The customer's contacts on the ticket at or after `since`: the request that opened it,
    and each customer message (copies from a merged ticket are not new contacts)."""
    opened = 1 if ticket.created_at >= since else 0
    return opened + sum(
        1
        for message in ticket.messages
        if message.author_kind is AuthorKind.customer
        and message.at >= since
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
