"""What the handlers need from the outside world; adapters implement it, unit tests fake it."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from notify.domain.deliveries import Delivery, DeliveryStatus, OutgoingEmail
from notify.domain.templates import Template
from notify.domain.tickets import TicketView
from ticketflow_shared.events import Envelope

OutboxPublisher = Callable[[str, list[dict]], Awaitable[None]]
"""Publish outbox entries just written to one delivery document (the fast path)."""


class EmailNotSent(Exception):
    """The mail server could not be reached or refused the message."""


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> str:
        """Hand the email to the mail server; return its reply, raise EmailNotSent."""
        ...


class TicketRepository(Protocol):
    async def add(self, ticket: TicketView) -> None:
        """Remember a ticket; adding the same ticket again changes nothing."""
        ...

    async def get(self, ticket_id: str) -> TicketView | None: ...


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

    async def save_failed(self, delivery: Delivery) -> None: ...

    async def save_sent(self, delivery: Delivery, envelopes: Sequence[Envelope]) -> list[dict]:
        """Mark sent and record its events in the same update; [] if it was already sent."""
        ...

    async def find(
        self, *, ticket_id: str | None, status: DeliveryStatus | None, limit: int
    ) -> list[Delivery]: ...
