"""Shapes of the triage routes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from intake.domain.triage_rules import TriageRule
from ticketflow_shared.events import Channel, Priority


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


class TriageRulesRead(BaseModel):
    """The stored rules in the order they apply (rank, then name); version 0: none saved."""

    version: int
    rules: list[TriageRule]
    updated_at: datetime | None
    updated_by: str | None


class ClassifierRead(BaseModel):
    version: int
    classes: list[str]
    samples: dict[str, int] = Field(description="Training examples per category")
    example_count: int
    held_out_accuracy: float | None = Field(
        description="Share of a held-out quarter classified right, over the categories with two "
        "examples or more; None with too few examples"
    )
    threshold: float = Field(description="Confidence a proposal needs to set the category")
    trained_at: datetime | None
    trained_by: str | None


class TrainingStarted(BaseModel):
    status: Literal["training"] = "training"
    samples: dict[str, int] = Field(description="Resolved tickets per category")
    example_count: int
    classifier: str = Field(
        default="/triage/classifier", description="Shows the new version once trained"
    )


class ClassifierUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(ge=0.0, le=1.0)


class TriageCategoryRead(BaseModel):
    name: str = Field(description="The category the ticket opened under")
    by: Literal["client", "rules", "classifier", "channel"]
    applied: bool | None = Field(
        description="True: triage's choice was taken; False: it chose one it could not take"
    )
    proposed: str | None = None
    why: str | None = None


class SuggestionRead(BaseModel):
    article_id: str
    title: str
    score: float = Field(description="BM25 score of the article for the ticket's text")


class TriageRecordRead(BaseModel):
    """What automatic triage decided when the ticket was created, and why."""

    rules_version: int
    classifier_version: int | None
    fired: list[dict] = Field(description="Rules that matched: name and the reasons")
    skipped: list[dict]
    category: TriageCategoryRead
    priority: Priority
    department: str | None
    tags: list[str]
    proposal: dict | None = Field(description="The classifier's category, confidence, applied")
    emotion: dict | None = Field(description="Score, angry, the words and crisis words found")
    escalation_reason: str | None
    suggestions: list[SuggestionRead] = Field(
        default_factory=list, description="The KB articles that best answer it, best first"
    )
