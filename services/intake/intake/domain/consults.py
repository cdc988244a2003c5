"""Consults: a side conversation with another department, which may read the ticket while it
is asked and after, for the record; ownership stays where it is."""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from intake.domain.errors import IntakeError
from ticketflow_shared.errors import Conflict, NotAllowed, NotFound

ConsultStatus = Literal["open", "answered"]


def new_consult_id() -> str:
    return f"C-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Consult:
    id: str
    department: str
    question: str
    asked_by: str
    asked_at: datetime
    status: ConsultStatus = "open"
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None

    def answered(self, answer: str, actor: str, now: datetime) -> "Consult":
        if self.status == "answered":
            raise ConsultAnswered(self.id)
        return replace(self, status="answered", answer=answer, answered_by=actor, answered_at=now)


class ConsultNotFound(IntakeError, NotFound):
    def __init__(self, ticket_id: str, consult_id: str) -> None:
        super().__init__(f"ticket {ticket_id} has no consult {consult_id}")


class ConsultAnswered(IntakeError, Conflict):
    def __init__(self, consult_id: str) -> None:
        super().__init__(f"consult {consult_id} is already answered")


class NotConsulted(IntakeError, NotAllowed):
    def __init__(self, consult_id: str, department: str) -> None:
        super().__init__(f"consult {consult_id} is for {department}'s staff to answer")


class ConsultingOwner(IntakeError, Conflict):
    def __init__(self, ticket_id: str, department: str) -> None:
        super().__init__(f"ticket {ticket_id} already belongs to {department}: nothing to consult")
