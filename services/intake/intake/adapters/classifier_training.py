"""Train the category classifier with scikit-learn and export it as a LinearModel."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from intake.domain.classifier import Example, LinearModel
from intake.domain.triage_text import tokens


@dataclass(frozen=True)
class Trained:
    model: LinearModel
    samples: dict[str, int]
    held_out_accuracy: float | None


def fit(examples: list[Example]) -> LinearModel:
    """Fit TF-IDF + logistic regression on all of `examples`."""
    vectorizer = TfidfVectorizer(analyzer=tokens)
    matrix = vectorizer.fit_transform([e.text for e in examples])
    model = LogisticRegression(max_iter=1000, C=10.0)
    model.fit(matrix, [e.category for e in examples])
    return LinearModel(
        vocabulary=vectorizer.get_feature_names_out().tolist(),
        idf=vectorizer.idf_.tolist(),
        classes=[str(c) for c in model.classes_],
        coef=model.coef_.tolist(),
        intercept=model.intercept_.tolist(),
    )


def train(examples: list[Example], seed: int = 7) -> Trained:
    """Measure accuracy on a held-out quarter, then fit on everything."""
    labels = [e.category for e in examples]
    samples = {c: labels.count(c) for c in sorted(set(labels))}
    if len(samples) < 2:
        raise ValueError("training needs examples of at least two categories")
    return Trained(fit(examples), samples, held_out_accuracy(examples, samples, seed))


def held_out_accuracy(examples: list[Example], samples: dict[str, int], seed: int) -> float | None:
    """Accuracy on a stratified quarter of the categories with two examples or more (a lone
    example only trains); None when fewer than two such categories or too few examples."""
    measured = [e for e in examples if samples[e.category] >= 2]
    classes = {e.category for e in measured}
    if len(classes) < 2 or len(measured) < 4 * len(classes):
        return None
    train_set, test_set = train_test_split(
        measured, test_size=0.25, random_state=seed, stratify=[e.category for e in measured]
    )
    lone = [e for e in examples if samples[e.category] < 2]
    held = fit(train_set + lone)
    right = sum(held.predict(e.text)[0] == e.category for e in test_set)
    return round(right / len(test_set), 4)
