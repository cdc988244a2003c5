"""What can go wrong with a ticket, in the domain's words. Each is one of the shared kinds of
refusal (`ticketflow_shared.errors`), which every service answers over HTTP the same way."""

from typing import Any

from ticketflow_shared.errors import Conflict, NotFound, Refusal, Unprocessable, problem


class IntakeError(Refusal):
    """Base of every intake domain error."""


class InBody:
    """A refusal of part of the request body. `within` is where the part sits when the
    body nests it (a CRM push carries its ticket's category and fields under `ticket`)."""

    within: tuple[str | int, ...] = ()

    def _loc(self, *part: str | int) -> list[str | int]:
        return ["body", *self.within, *part]


class TicketNotFound(IntakeError, NotFound):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} not found")
        self.ticket_id = ticket_id


class UnknownCategory(InBody, IntakeError, Unprocessable):
    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}")
        self.category = category

    def problems(self) -> list[dict[str, Any]]:
        return [problem("unknown_category", self._loc("category"), str(self), self.category)]


class MissingFields(InBody, IntakeError, Unprocessable):
    """The category requires fields the request did not carry."""

    def __init__(self, category: str, missing: list[str]) -> None:
        super().__init__(f"category {category!r} requires {', '.join(missing)}")
        self.category = category
        self.missing = missing

    def problems(self) -> list[dict[str, Any]]:
        return [problem("missing", self._loc("fields", name), str(self)) for name in self.missing]


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


# The lifecycle, the conversation and the category's procedure (SOP).


class IllegalTransition(IntakeError, Conflict):
    """The ticket's current status does not lead to the one asked for."""

    def __init__(self, ticket_id: str, current: str, wanted: str) -> None:
        super().__init__(f"ticket {ticket_id} is {current}; it cannot become {wanted}")
        self.ticket_id = ticket_id
        self.current = current
        self.wanted = wanted


class TooManyChanges(IntakeError, Conflict):
    def __init__(self, ticket_id: str, limit: int) -> None:
        super().__init__(
            f"ticket {ticket_id} has changed status {limit} times, the most one ticket keeps"
        )
        self.ticket_id = ticket_id
        self.limit = limit


class TicketClosed(IntakeError, Conflict):
    """A closed ticket takes no more messages; the customer's next one starts a follow-up."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id} is closed; it takes no more messages")
        self.ticket_id = ticket_id


class ThreadFull(IntakeError, Conflict):
    def __init__(self, ticket_id: str, limit: int) -> None:
        super().__init__(
            f"ticket {ticket_id} holds {limit} messages, the most one ticket keeps; "
            "open a new ticket to go on"
        )
        self.ticket_id = ticket_id
        self.limit = limit


class UnknownMessage(IntakeError, Unprocessable):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"no message {message_id!r} on this ticket")
        self.message_id = message_id

    def problems(self) -> list[dict[str, Any]]:
        return [problem("unknown_message", ["body", "in_reply_to"], str(self), self.message_id)]


class CategoryNotFound(IntakeError, NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"category {name!r} not found")
        self.name = name


class UnknownStep(IntakeError, NotFound):
    def __init__(self, ticket_id: str, key: str) -> None:
        super().__init__(f"ticket {ticket_id} has no procedure step {key!r}")
        self.ticket_id = ticket_id
        self.key = key


class UndoneSteps(IntakeError, Unprocessable):
    """Solving needs every required step of the ticket's procedure ticked."""

    def __init__(self, ticket_id: str, keys: list[str]) -> None:
        super().__init__(f"ticket {ticket_id} has required steps not done: {', '.join(keys)}")
        self.ticket_id = ticket_id
        self.keys = keys

    def problems(self) -> list[dict[str, Any]]:
        return [
            problem("step_not_done", ["procedure", key], f"required step {key!r} is not done")
            for key in self.keys
        ]


# Fields: declared by the category, checked at creation, required before solving.


class InvalidFieldValues(InBody, IntakeError, Unprocessable):
    """Values that do not fit the fields the category declares (kind, length, format)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.reasons = problems

    def problems(self) -> list[dict[str, Any]]:
        return [
            problem("field_invalid", self._loc("fields", name), reason)
            for name, reason in self.reasons.items()
        ]


class InvalidCategory(IntakeError, Unprocessable):
    """A category rule that names fields it does not declare."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.found = problems

    def problems(self) -> list[dict[str, Any]]:
        return [
            problem("undeclared_field", ["body", *place], message) for place, message in self.found
        ]


class FieldsNeededToSolve(IntakeError, Unprocessable):
    """The category requires fields before a ticket is solved, and they are still empty."""

    def __init__(self, ticket_id: str, names: list[str]) -> None:
        super().__init__(f"ticket {ticket_id} needs fields before it is solved: {', '.join(names)}")
        self.ticket_id = ticket_id
        self.names = names

    def problems(self) -> list[dict[str, Any]]:
        return [
            problem("missing_before_solve", ["fields", name], f"field {name!r} is empty")
            for name in self.names
        ]


class UnknownFormFields(IntakeError, Unprocessable):
    """The web form's caller sent fields the category's form does not offer."""

    def __init__(self, category: str, names: list[str]) -> None:
        super().__init__(f"category {category!r} has no form field {', '.join(names)}")
        self.category = category
        self.names = names

    def problems(self) -> list[dict[str, Any]]:
        return [
            problem("unknown_field", ["body", "fields", name], f"no form field {name!r}")
            for name in self.names
        ]
