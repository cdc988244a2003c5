"""Links between tickets that merge and split leave: what went where, and who did it."""

from dataclasses import dataclass
from datetime import datetime

from intake.domain.errors import IntakeError
from intake.domain.ticket import MERGE, Ticket, TicketStatus
from ticketflow_shared.errors import Conflict, NotFound


@dataclass(frozen=True)
class MergeLink:
    source: str
    into: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class SplitLink:
    source: str
    message_id: str
    ticket_id: str
    actor: str
    at: datetime


class MergeRefused(IntakeError, Conflict):
    """A merge that would mix customers, loop, or write into a closed ticket."""

    def __init__(self, ticket_id: str, reason: str) -> None:
        super().__init__(f"ticket {ticket_id} cannot be merged: {reason}")
        self.ticket_id = ticket_id


class SplitRefused(IntakeError, Conflict):
    def __init__(self, message_id: str, reason: str) -> None:
        super().__init__(f"message {message_id} cannot be split out: {reason}")
        self.message_id = message_id


class MessageNotFound(IntakeError, NotFound):
    def __init__(self, ticket_id: str, message_id: str) -> None:
        super().__init__(f"ticket {ticket_id} has no message {message_id}")
        self.message_id = message_id


def same_customer(a: Ticket, b: Ticket) -> bool:
    """One unified customer; without unified ids, one address."""
    if a.customer.customer_id or b.customer.customer_id:
        return a.customer.customer_id == b.customer.customer_id
    email_a, email_b = a.customer.email, b.customer.email
    return email_a is not None and email_b is not None and email_a.casefold() == email_b.casefold()


def check_merge(source: Ticket, target: Ticket, earlier: MergeLink | None) -> None:
    """Raise MergeRefused unless `source` may go into `target` (or already went there)."""
    if source.id == target.id:
        raise MergeRefused(source.id, "a ticket cannot be merged into itself")
    if not same_customer(source, target):
        raise MergeRefused(source.id, f"{target.id} is another customer's ticket")
    if earlier is not None:
        if earlier.into != target.id:
            raise MergeRefused(source.id, f"it was merged into {earlier.into}")
        return
    if source.status is TicketStatus.closed:
        raise MergeRefused(source.id, "it is closed")
    if target.status is TicketStatus.closed:
        raise MergeRefused(source.id, f"{target.id} is closed")


def copy_ref(source_id: str, message_id: str | None = None) -> str:
    """The `source_ref` a copied message carries, so a retried merge copies it once."""
    return f"{MERGE}:{source_id}" if message_id is None else f"{MERGE}:{source_id}:{message_id}"
