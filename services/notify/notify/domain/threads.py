"""A ticket's email thread: how each email is named, tagged and linked to the ones before.

Every email about a ticket carries the ticket's reference in its subject (`[TF-1042]`) and a
Message-ID of our own; notify keeps the ticket's Message-IDs in sending order, and each email
answers the one before it (`In-Reply-To`) and names the chain from the first (`References`:
the root plus the latest few, as mail clients trim it). A customer's answer carries those
headers back, or at least the subject, so the inbound side can find the ticket again.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from notify.domain.tickets import TicketView

# Ids after the root that References keeps; RFC 5322 clients keep a similar tail.
REFERENCES_KEPT = 10
# What may not stand left of the "@" of a Message-ID (RFC 5322 dot-atom text).
_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")
_REFERENCE_TAG = re.compile(r"\[(TF-[A-Za-z0-9_-]+)\]", re.IGNORECASE)


def reference_tag(reference: str) -> str:
    """The ticket's mark in a subject, the one format an inbound parser looks for."""
    return f"[{reference}]"


def tagged_subject(subject: str, reference: str) -> str:
    """`subject` with the ticket's tag in front, unless the template already placed it."""
    tag = reference_tag(reference)
    return subject if tag in subject else f"{tag} {subject}".strip()


def reference_in(subject: str) -> str | None:
    """The ticket reference a subject carries (a reply's "Re: [TF-1042] ..."), if any."""
    found = _REFERENCE_TAG.search(subject)
    return found.group(1) if found else None


def event_message_id(event_id: str, ticket_id: str, domain: str) -> str:
    """The Message-ID of the email announcing one event: a resend is a copy clients drop, and
    a customer's answer names the ticket (`In-Reply-To: <event.TF-…@domain>`)."""
    return f"<{_atom(event_id)}.{_atom(ticket_id)}@{domain}>"


def legacy_event_message_id(event_id: str, domain: str) -> str:
    """The Message-ID event emails had before they named their ticket."""
    return f"<{_atom(event_id)}.email@{domain}>"


def reply_message_id(message_id: str, ticket_id: str, domain: str) -> str:
    """The Message-ID of an agent's reply: from the message and its ticket, so a customer's
    answer names both."""
    return f"<{_atom(message_id)}.{_atom(ticket_id)}@{domain}>"


def _atom(value: str) -> str:
    return _ATEXT.sub("_", value) or "_"


def atom(value: str) -> str:
    """`value` fit for the left of a Message-ID's "@"."""
    return _atom(value)


@dataclass(frozen=True)
class Threading:
    """The headers that place one email in its ticket's thread; empty for the first."""

    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


FIRST_IN_THREAD = Threading()


def full_thread(ticket: TicketView, domain: str) -> tuple[str, ...]:
    """The ticket's thread, led by the emails sent before threads were kept (their Message-IDs
    were made from their events then too), so an old ticket's next email still answers them."""
    earlier = (legacy_event_message_id(e, domain) for e in ticket.emailed_before_threads)
    return (*(m for m in earlier if m not in ticket.thread), *ticket.thread)


def threading_for(thread: Sequence[str], message_id: str, kept: int = REFERENCES_KEPT) -> Threading:
    """Where `message_id` stands in `thread` (the ticket's Message-IDs in sending order): it
    answers the email before it. One not in the thread answers the latest."""
    earlier = list(thread[: thread.index(message_id)] if message_id in thread else thread)
    if not earlier:
        return FIRST_IN_THREAD
    chain = earlier if len(earlier) <= kept + 1 else [earlier[0], *earlier[-kept:]]
    return Threading(in_reply_to=earlier[-1], references=tuple(chain))
