"""Request and answer shapes of merge, split and a ticket's links."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from intake.schemas import TicketRead


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: str = Field(min_length=1, max_length=40, description="The ticket to merge into")


class MergeRead(BaseModel):
    """The source, closed as merged into `into`, and how much of its thread went there."""

    ticket_id: str
    into: str
    status: str
    merged_by: str
    merged_at: datetime
    messages_copied: int


class SplitRead(BaseModel):
    """The ticket a customer's message went out into."""

    split_from: str
    message_id: str
    ticket: TicketRead


class SplitOutRead(BaseModel):
    message_id: str
    ticket_id: str


class LinksRead(BaseModel):
    """Where a ticket went (merged into), what came to it, and what was split out of it."""

    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    split_out: list[SplitOutRead] = Field(default_factory=list)
    split_from: SplitOutRead | None = None
