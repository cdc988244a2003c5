"""Print duplicate detection's precision and recall on the labelled pairs in
tests/data/duplicates_examples.jsonl, at the configured threshold and over a small sweep.

Run: `.venv/bin/python bench/dedup_eval.py` (TICKETFLOW_DUPLICATE_THRESHOLD sets the threshold).
"""

from __future__ import annotations

import json
from pathlib import Path

from intake.domain.duplicates import fingerprint, similarity
from intake.settings import IntakeSettings

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "duplicates_examples.jsonl"
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def scored_pairs() -> list[tuple[str, bool, float]]:
    """(language, is a duplicate, score) of every labelled pair."""
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    return [
        (
            row["lang"],
            row["duplicate"],
            similarity(
                fingerprint(row["a"]["subject"], row["a"]["body"]),
                fingerprint(row["b"]["subject"], row["b"]["body"]),
            ),
        )
        for row in rows
    ]


def precision_recall(pairs: list[tuple[str, bool, float]], threshold: float) -> tuple[float, float]:
    flagged = [label for _, label, score in pairs if score >= threshold]
    positives = sum(label for _, label, _ in pairs)
    hits = sum(flagged)
    precision = hits / len(flagged) if flagged else 1.0
    return precision, hits / positives if positives else 1.0


def line(name: str, pairs: list[tuple[str, bool, float]], threshold: float) -> str:
    precision, recall = precision_recall(pairs, threshold)
    return f"{name:<6} {threshold:>9.2f} {precision:>9.2f} {recall:>6.2f} {len(pairs):>5}"


def main() -> None:
    threshold = IntakeSettings().duplicate_threshold
    pairs = scored_pairs()
    by_lang = {lang: [p for p in pairs if p[0] == lang] for lang in ("en", "zh")}
    print(f"{'set':<6} {'threshold':>9} {'precision':>9} {'recall':>6} {'pairs':>5}")
    for name, subset in (("all", pairs), *by_lang.items()):
        print(line(name, subset, threshold))
    print("\nsweep (all pairs)")
    for value in SWEEP:
        print(line("all", pairs, value))


if __name__ == "__main__":
    main()
