"""What the handlers need from the outside world; adapters implement it, unit tests fake it."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from notify.domain.deliveries import Delivery, DeliveryStatus, OutgoingEmail
from notify.domain.templates import RenderedEmail, Template
from notify.domain.tickets import TicketView
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import Envelope

OutboxPublisher = Callable[[str, list[dict]], Awaitable[None]]
"""Publish outbox entries just written to one delivery document (the fast path)."""


class EmailNotSent(Exception):
    """The mail server could not be reached or refused the message for now; try again later."""


class EmailUndeliverable(Exception):
    """No attempt can succeed: the message cannot be built, or the server refused it for good."""


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> str:
        """Hand the email to the mail server; return its reply.

        Raise EmailNotSent for a failure worth retrying, EmailUndeliverable for a final one.
        """
        ...


class TemplateRenderer(Protocol):
    """Renders templates within time and size limits, away from the event loop."""

    async def render(self, template: Template, context: dict[str, Any]) -> RenderedEmail:
        """Raise TemplateInvalid when the template fails, or runs too long, on this context."""
        ...

    async def check(self, template: Template) -> None:
        """Raise TemplateInvalid unless the template renders against a sample ticket."""
        ...


class TicketRepository(Protocol):
    async def add(self, ticket: TicketView, delivery_id: str, message_id: str) -> None:
        """Remember a ticket, its first delivery and the Message-ID that roots its thread;
        adding it again changes nothing."""
        ...

    async def get(self, ticket_id: str) -> TicketView | None: ...

    async def get_noting(
        self,
        ticket_id: str,
        delivery_id: str,
        message_id: str,
        agent_department: str | None = None,
    ) -> TicketView | None:
        """The ticket, listing a delivery under it in the same write (before the delivery is
        stored: a dangling id is skipped), its email's Message-ID at the end of the thread
        unless there already, and the department of an agent it was given to; None, and
        nothing written, for an unknown ticket."""
        ...

    async def deliveries_of(self, ticket_id: str) -> list[str]:
        """Ids of the ticket's deliveries, oldest first, then its pages."""
        ...

    async def note_pages(self, ticket_id: str, delivery_ids: list[str]) -> None:
        """List pages (internal mail) about the ticket, apart from its email thread."""
        ...


class TemplateRepository(Protocol):
    async def get(self, event_type: str) -> Template:
        """The stored template, or the default when none is stored."""
        ...

    async def list_all(self) -> list[Template]: ...

    async def put(self, template: Template) -> Template: ...

    async def seed(self, templates: Sequence[Template]) -> None:
        """Store each default whose event type has no template yet."""
        ...


class DeliveryRepository(Protocol):
    async def add(self, delivery: Delivery) -> bool:
        """Insert a new delivery; False if one with that id exists already."""
        ...

    async def get(self, delivery_id: str) -> Delivery | None: ...

    async def claim(
        self, delivery: Delivery, expected_attempts: int, *, stale_before: datetime
    ) -> bool:
        """Save a begun attempt unless another attempt began since `expected_attempts`.

        An attempt elected before `stale_before` but never saved (its copy died in between)
        does not block: its number is skipped, so `delivery.attempts` may grow by more than 1.
        """
        ...

    async def save_unsent(self, delivery: Delivery) -> None:
        """Record this attempt's failure, or that the delivery is undeliverable."""
        ...

    async def save_sent(self, delivery: Delivery, envelopes: Sequence[Envelope]) -> list[dict]:
        """Mark sent and record its events in the same update; [] if it was already sent."""
        ...

    async def find(
        self,
        *,
        ids: Sequence[str] | None,
        status: DeliveryStatus | None,
        limit: int,
        scope: Scope = ...,
    ) -> list[Delivery]:
        """Oldest first; `ids` looks those up by id, None reads all deliveries `scope` sees."""
        ...
