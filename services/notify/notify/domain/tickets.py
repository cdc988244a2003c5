"""What notify remembers about a ticket: enough to address and describe it to the customer."""

from dataclasses import dataclass
from typing import Any

from ticketflow_shared.events import TicketCreatedV1

REFERENCE_PREFIX = "TF-"


class TicketNotKnown(LookupError):
    """An event names a ticket whose ticket.created has not been handled yet."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} not known yet (ticket.created not handled)")
        self.ticket_id = ticket_id


@dataclass(frozen=True)
class TicketView:
    ticket_id: str
    customer_email: str  # "" for a customer without an email (a chat user)
    customer_name: str | None
    subject: str
    category: str
    # Who may see what notify did for this ticket: the owning department, the departments of
    # the agents it was given to, and who opened it.
    department: str | None = None
    agent_departments: tuple[str, ...] = ()
    created_by: str | None = None
    # The Message-IDs of the emails about it, in the order they were made (`threads`), and
    # the events whose emails went out before notify kept threads (all named by their event).
    thread: tuple[str, ...] = ()
    emailed_before_threads: tuple[str, ...] = ()

    @property
    def departments(self) -> frozenset[str]:
        return frozenset(d for d in (self.department, *self.agent_departments) if d)

    @classmethod
    def from_created(cls, event: TicketCreatedV1) -> "TicketView":
        return cls(
            ticket_id=event.ticket_id,
            customer_email=str(event.customer.email or ""),  # "": a chat user, no email
            customer_name=event.customer.name,
            subject=event.subject,
            category=event.category,
            department=event.department,
            created_by=event.created_by,
        )

    @property
    def reference(self) -> str:
        """The ticket's name in front of customers, e.g. `TF-1042`."""
        if self.ticket_id.upper().startswith(REFERENCE_PREFIX):
            return self.ticket_id
        return f"{REFERENCE_PREFIX}{self.ticket_id}"

    def template_context(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "customer_email": self.customer_email,
            "customer_name": self.customer_name,
            "subject": self.subject,
            "category": self.category,
            "reference": self.reference,
        }
