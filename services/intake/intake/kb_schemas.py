"""Shapes of the knowledge-base routes."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ArticleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ArticleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    language: Literal["zh", "en"]


class ArticleRead(BaseModel):
    id: str
    title: str
    body: str
    language: str
    updated_at: datetime | None
    updated_by: str | None


class ArticleList(BaseModel):
    data: list[ArticleRead]
    count: int


class ArticleHit(BaseModel):
    id: str
    title: str
    score: float


class ArticleHits(BaseModel):
    data: list[ArticleHit]
    count: int


SearchQuery = Annotated[str, Field(min_length=1, max_length=500)]
