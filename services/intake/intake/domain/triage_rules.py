"""Triage rules as data: validated conditions over a ticket and the actions they set."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ticketflow_shared.events import Channel, Priority

MAX_DEPTH = 4
MAX_PATTERN = 200
REGEX_TIMEOUT_S = 0.05
# Evaluating all of one ticket's rules: past it, a rule that needs a regex is skipped.
RULES_BUDGET_S = 0.2
TEXT_FIELDS = ("subject", "body", "text")
# A quantified group that itself holds a quantifier: the shape of (a+)+ and (a|aa)*.
_NESTED_QUANTIFIER = regex.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelIs(_Strict):
    kind: Literal["channel"]
    any_of: list[Channel] = Field(min_length=1, max_length=5)


class Contains(_Strict):
    kind: Literal["contains"]
    on: Literal["subject", "body", "text"] = "text"
    value: str = Field(min_length=1, max_length=MAX_PATTERN)


class AnyWord(_Strict):
    kind: Literal["any_word"]
    on: Literal["subject", "body", "text"] = "text"
    words: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=100
    )


class Matches(_Strict):
    kind: Literal["regex"]
    on: Literal["subject", "body", "text"] = "text"
    pattern: str = Field(min_length=1, max_length=MAX_PATTERN)

    @field_validator("pattern")
    @classmethod
    def _safe(cls, pattern: str) -> str:
        if _NESTED_QUANTIFIER.search(pattern):
            raise ValueError("nested quantifiers can backtrack catastrophically")
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None
        return pattern


class TierIs(_Strict):
    kind: Literal["tier"]
    any_of: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=10
    )


class FieldEquals(_Strict):
    kind: Literal["field"]
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    equals: str | int | float | bool | None = None


class TimeWindow(_Strict):
    """Local hours `from_hour` up to `to_hour` on `weekdays`; a window whose start is after
    its end runs across midnight (22 to 6 is 22:00 to 05:59)."""

    kind: Literal["time"]
    tz: str = Field(default="UTC", max_length=64)
    from_hour: int = Field(default=0, ge=0, le=23)
    to_hour: int = Field(default=24, ge=1, le=24)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), max_length=7
    )

    @field_validator("tz")
    @classmethod
    def _zone(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        return tz

    @field_validator("to_hour")
    @classmethod
    def _not_empty(cls, to_hour: int, info: ValidationInfo) -> int:
        # On `to_hour`, so the 422 names a field; `from_hour` is checked first (declared first).
        if info.data.get("from_hour") == to_hour:
            raise ValueError(f"from_hour and to_hour are both {to_hour}: an empty window")
        return to_hour

    def covers(self, hour: int) -> bool:
        if self.from_hour < self.to_hour:
            return self.from_hour <= hour < self.to_hour
        return hour >= self.from_hour or hour < self.to_hour


class All(_Strict):
    kind: Literal["all"]
    of: list[Condition] = Field(min_length=1, max_length=20)


class AnyOf(_Strict):
    kind: Literal["any"]
    of: list[Condition] = Field(min_length=1, max_length=20)


class Not(_Strict):
    kind: Literal["not"]
    of: Condition


Condition = Annotated[
    ChannelIs
    | Contains
    | AnyWord
    | Matches
    | TierIs
    | FieldEquals
    | TimeWindow
    | All
    | AnyOf
    | Not,
    Field(discriminator="kind"),
]
for _model in (All, AnyOf, Not):
    _model.model_rebuild()


class Actions(_Strict):
    category: str | None = Field(default=None, min_length=1, max_length=64)
    priority: Priority | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=10
    )
    department: str | None = Field(default=None, min_length=1, max_length=64)


class TriageRule(_Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    rank: int = Field(default=100, ge=0, le=100_000)
    when: Condition
    then: Actions
    stop: bool = False

    @field_validator("when")
    @classmethod
    def _bounded(cls, when: Condition) -> Condition:
        if _depth(when) > MAX_DEPTH:
            raise ValueError(f"conditions nest deeper than {MAX_DEPTH}")
        return when


def _depth(cond: Condition) -> int:
    if isinstance(cond, All | AnyOf):
        return 1 + max(_depth(c) for c in cond.of)
    if isinstance(cond, Not):
        return 1 + _depth(cond.of)
    return 1
