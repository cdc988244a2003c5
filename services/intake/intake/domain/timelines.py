"""What a customer's timeline shows of one ticket, kept beside the timeline itself so that a
profile read needs no ticket."""

from dataclasses import dataclass
from datetime import datetime

from intake.domain.messages import visible_to
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.events import AuthorKind, Channel


@dataclass(frozen=True)
class TimelineMessage:
    author_kind: AuthorKind
    body: str
    at: datetime


@dataclass(frozen=True)
class TimelineTicket:
    id: str
    status: TicketStatus
    channel: Channel
    subject: str
    created_at: datetime
    # Who may see it (`Scope.allows`), as on the ticket.
    departments: frozenset[str]
    created_by: str | None
    customer_name: str | None
    customer_email: str | None
    messages: tuple[TimelineMessage, ...]
    version: int

    @classmethod
    def of(cls, ticket: Ticket) -> "TimelineTicket":
        """The ticket as its customer's timeline shows it: the messages the customer reads."""
        shown = visible_to(ticket.messages, internal=False)
        messages = tuple(TimelineMessage(m.author_kind, m.body, m.at) for m in shown)
        return cls(
            id=ticket.id,
            status=ticket.status,
            channel=ticket.channel,
            subject=ticket.subject,
            created_at=ticket.created_at,
            departments=ticket.departments,
            created_by=ticket.created_by,
            customer_name=ticket.customer.name,
            customer_email=ticket.customer.email,
            messages=messages,
            version=ticket.version,
        )
