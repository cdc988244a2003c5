"""What can go wrong with a ticket, in the domain's words. Each is one of the shared kinds of
refusal (`ticketflow_shared.errors`), which every service answers over HTTP the same way."""

from typing import Any

from ticketflow_shared.errors import Conflict, NotFound, Refusal, Unprocessable, problem


class IntakeError(Refusal):
    """Base of every intake domain error."""


class TicketNotFound(IntakeError, NotFound):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} not found")
        self.ticket_id = ticket_id


class UnknownCategory(IntakeError, Unprocessable):
    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}")
        self.category = category

    def problems(self) -> list[dict[str, Any]]:
        return [problem("unknown_category", ["body", "category"], str(self), self.category)]


class MissingFields(IntakeError, Unprocessable):
    """The category requires fields the request did not carry."""

    def __init__(self, category: str, missing: list[str]) -> None:
        super().__init__(f"category {category!r} requires {', '.join(missing)}")
        self.category = category
        self.missing = missing

    def problems(self) -> list[dict[str, Any]]:
        return [problem("missing", ["body", "fields", name], str(self)) for name in self.missing]


class AlreadyResolved(IntakeError, Conflict):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} is already resolved")
        self.ticket_id = ticket_id


class IdempotencyConflict(IntakeError, Conflict):
    """An Idempotency-Key was reused with a different request body."""

    def __init__(self, key: str, ticket_id: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for ticket {ticket_id} "
            "with a different request body"
        )
        self.key = key
        self.ticket_id = ticket_id


class ConcurrentUpdate(IntakeError, Conflict):
    """The ticket changed between load and save; load it again and retry."""


class TicketIdTaken(IntakeError):
    """A ticket with this id already exists; for a keyed request, the key was used before."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket id {ticket_id} is taken")
        self.ticket_id = ticket_id
