"""What the API shows of duplicate detection: the decision, and a joined request's answer."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from intake.domain.duplicates import DuplicateDecision
from intake.schemas import TicketRead


class DuplicateRead(BaseModel):
    """Why a request joined the ticket: its fingerprint's words and the matched ticket's, the
    score against the threshold, and the message it became."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str
    message_id: str
    channel: str
    score: float
    threshold: float
    fingerprint: str
    words: list[str]
    matched_fingerprint: str
    matched_words: list[str]
    decided_at: datetime


class DuplicateList(BaseModel):
    data: list[DuplicateRead]
    count: int


class JoinedTicketRead(TicketRead):
    """The open ticket a new request was added to: `duplicate_of` is its id."""

    duplicate_of: str
    duplicate: DuplicateRead

    @classmethod
    def of(cls, ticket: TicketRead, decision: DuplicateDecision) -> "JoinedTicketRead":
        return cls(
            **dict(ticket),
            duplicate_of=decision.ticket_id,
            duplicate=DuplicateRead.model_validate(decision),
        )
