"""What callers ask of handoffs: imperative, validated at the edge, free of HTTP."""

from pydantic import BaseModel, ConfigDict, Field


class TransferTicket(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    department: str
    skill: str | None = None
    note: str | None = None
    checklist: list[str] = Field(default_factory=list)
    actor: str


class ConsultDepartment(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    department: str
    question: str
    actor: str


class AnswerConsult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    consult_id: str
    answer: str
    actor: str
    # The departments the actor answers for; None for anyone's (an admin).
    departments: frozenset[str] | None = None
