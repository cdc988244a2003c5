"""Category classifier: TF-IDF over zh/en tokens and a linear model, kept as plain arrays."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from intake.domain.triage_text import tokens


@dataclass(frozen=True)
class Example:
    subject: str
    body: str
    category: str

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}"


@dataclass(frozen=True)
class LinearModel:
    """What a trained pipeline is stored as: no pickle, only lists of numbers and words."""

    vocabulary: list[str]
    idf: list[float]
    classes: list[str]
    coef: list[list[float]]
    intercept: list[float]

    def to_doc(self) -> dict:
        return {
            "vocabulary": self.vocabulary,
            "idf": self.idf,
            "classes": self.classes,
            "coef": self.coef,
            "intercept": self.intercept,
        }

    @classmethod
    def from_doc(cls, doc: dict) -> LinearModel:
        return cls(doc["vocabulary"], doc["idf"], doc["classes"], doc["coef"], doc["intercept"])

    def predict(self, text: str) -> tuple[str, float]:
        """The likeliest class and its probability."""
        probs = self.probabilities(text)
        best = max(range(len(probs)), key=probs.__getitem__)
        return self.classes[best], probs[best]

    @cached_property
    def _index(self) -> dict[str, int]:
        """Built once per loaded model, not once per ticket."""
        return {w: i for i, w in enumerate(self.vocabulary)}

    def probabilities(self, text: str) -> list[float]:
        index = self._index
        counts = Counter(index[t] for t in tokens(text) if t in index)
        weights = {i: n * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        scores = [
            b + sum(row[i] * v / norm for i, v in weights.items())
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        if len(self.classes) == 2:
            p = 1 / (1 + math.exp(-scores[0]))
            return [1 - p, p]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        return [e / sum(exps) for e in exps]
