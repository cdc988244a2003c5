"""Knowledge-base articles and a BM25 ranking over zh+en tokens."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from intake.domain.triage_text import tokens

K1 = 1.2
B = 0.75
TITLE_BOOST = 2


@dataclass(frozen=True)
class Article:
    article_id: str
    title: str
    body: str

    def terms(self) -> list[str]:
        return tokens(self.title) * TITLE_BOOST + tokens(self.body)


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    score: float


def rank(articles: list[Article], query: str, limit: int = 3) -> list[Hit]:
    """The best `limit` articles for `query`, by BM25; articles sharing no term are left out."""
    wanted = set(tokens(query))
    if not articles or not wanted:
        return []
    docs = [(a, Counter(a.terms())) for a in articles]
    avg = sum(sum(c.values()) for _, c in docs) / len(docs) or 1.0
    df = Counter(t for _, c in docs for t in wanted if t in c)
    hits = []
    for article, counts in docs:
        length = sum(counts.values())
        total = 0.0
        for term in wanted & counts.keys():
            idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
            tf = counts[term]
            total += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg))
        if total > 0:
            hits.append(Hit(article.article_id, article.title, round(total, 4)))
    hits.sort(key=lambda h: (-h.score, h.article_id))
    return hits[:limit]
