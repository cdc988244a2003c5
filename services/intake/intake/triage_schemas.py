"""Shapes of the triage routes."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from intake.domain.triage_rules import TriageRule
from ticketflow_shared.events import Channel


class TriageTicket(BaseModel):
    """The parts of a ticket that rules look at."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Channel.web
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=20_000)
    customer_tier: str | None = Field(default=None, max_length=32)
    fields: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=50)
    at: datetime | None = None


class TriageDryRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[TriageRule] = Field(max_length=200)
    ticket: TriageTicket


class TriageResult(BaseModel):
    category: str | None
    priority: str | None
    department: str | None
    tags: list[str]
    fired: list[dict]
    skipped: list[dict]
