"""What triage runs on, as stored: the ordered rules and the trained classifier, versioned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from intake.domain.classifier import LinearModel
from intake.domain.triage import DEFAULT_THRESHOLD
from intake.domain.triage_rules import TriageRule

MIN_EXAMPLES = 20


@dataclass(frozen=True)
class RuleSet:
    """The rules in force; version 0 is the empty set nobody saved yet."""

    version: int = 0
    rules: list[TriageRule] = field(default_factory=list)
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class Classifier:
    """A trained model and how it did; `threshold` is the confidence a proposal needs."""

    version: int
    model: LinearModel | None
    samples: dict[str, int]
    held_out_accuracy: float | None
    threshold: float = DEFAULT_THRESHOLD
    trained_at: datetime | None = None
    trained_by: str | None = None

    @property
    def classes(self) -> list[str]:
        return sorted(self.samples)

    @property
    def example_count(self) -> int:
        return sum(self.samples.values())


@dataclass(frozen=True)
class TriageConfig:
    rules: RuleSet = field(default_factory=RuleSet)
    classifier: Classifier | None = None


class TooFewExamples(ValueError):
    """Training refused: what the store holds cannot teach a classifier."""


def check_trainable(samples: dict[str, int], minimum: int = MIN_EXAMPLES) -> None:
    """Raise TooFewExamples unless there are `minimum` examples of at least two categories."""
    total = sum(samples.values())
    if total < minimum:
        raise TooFewExamples(
            f"training needs at least {minimum} resolved tickets with a category, found {total}"
        )
    if len(samples) < 2:
        found = ", ".join(sorted(samples)) or "none"
        raise TooFewExamples(
            f"training needs resolved tickets of at least two categories, found {found}"
        )
