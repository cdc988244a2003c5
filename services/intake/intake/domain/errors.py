"""What can go wrong with a ticket, in the domain's words; entry points map these to HTTP."""


class IntakeError(Exception):
    """Base of every intake domain error."""


class TicketNotFound(IntakeError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} not found")
        self.ticket_id = ticket_id


class UnknownCategory(IntakeError):
    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}")
        self.category = category


class MissingFields(IntakeError):
    """The category requires fields the request did not carry."""

    def __init__(self, category: str, missing: list[str]) -> None:
        super().__init__(f"category {category!r} requires {', '.join(missing)}")
        self.category = category
        self.missing = missing


class AlreadyResolved(IntakeError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} is already resolved")
        self.ticket_id = ticket_id


class IdempotencyConflict(IntakeError):
    """An Idempotency-Key was reused with a different request body."""

    def __init__(self, key: str, ticket_id: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for ticket {ticket_id} "
            "with a different request body"
        )
        self.key = key
        self.ticket_id = ticket_id


class ConcurrentUpdate(IntakeError):
    """The ticket changed between load and save; load it again and retry."""


class TicketIdTaken(IntakeError):
    """A ticket with this id already exists; for a keyed request, the key was used before."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket id {ticket_id} is taken")
        self.ticket_id = ticket_id
