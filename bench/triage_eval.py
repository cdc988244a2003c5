"""Print the triage classifier's per-class precision/recall on a held-out split, and the
emotion lexicon's accuracy on the set it was written against and on a held-out set, from the
labelled sets in tests/data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import accuracy_score, classification_report, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from intake.adapters.classifier_training import fit
from intake.domain.classifier import Example
from intake.domain.emotion import score

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def classifier_report(seed: int = 7) -> str:
    examples = [
        Example(r["subject"], r["body"], r["category"]) for r in _load("triage_examples.jsonl")
    ]
    labels = [e.category for e in examples]
    train, test = train_test_split(examples, test_size=0.25, random_state=seed, stratify=labels)
    model = fit(train)
    truth = [e.category for e in test]
    guess = [model.predict(e.text)[0] for e in test]
    head = f"classifier: {len(train)} train / {len(test)} held out"
    return head + "\n" + classification_report(truth, guess, zero_division=0)


def emotion_report(name: str, label: str) -> str:
    rows = _load(name)
    truth = [r["angry"] for r in rows]
    guess = [score(r["text"]).angry for r in rows]
    precision, recall, _, _ = precision_recall_fscore_support(
        truth, guess, average="binary", zero_division=0
    )
    return (
        f"emotion, {label}: accuracy {accuracy_score(truth, guess):.3f}, "
        f"angry precision {precision:.2f} recall {recall:.2f}, on {len(rows)} messages"
    )


def main() -> int:
    print(classifier_report())
    print(emotion_report("emotion_examples.jsonl", "the set the lexicon was written against"))
    print(emotion_report("emotion_held_out.jsonl", "held out (never tuned on)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
