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
    return KnowledgeIndex(articles).rank(query, limit)


class KnowledgeIndex:
    """Articles tokenized once, so ranking a ticket costs only its own tokens."""

    def __init__(self, articles: list[Article]) -> None:
        self.docs = [(a, Counter(a.terms())) for a in articles]
        self.lengths = [sum(c.values()) for _, c in self.docs]
        self.avg = (sum(self.lengths) / len(self.docs) or 1.0) if self.docs else 1.0

    def rank(self, query: str, limit: int = 3) -> list[Hit]:
        wanted = set(tokens(query))
        if not self.docs or not wanted:
            return []
        df = Counter(t for _, c in self.docs for t in wanted if t in c)
        hits = []
        for (article, counts), length in zip(self.docs, self.lengths, strict=True):
            total = 0.0
            for term in wanted & counts.keys():
                idf = math.log(1 + (len(self.docs) - df[term] + 0.5) / (df[term] + 0.5))
                tf = counts[term]
                total += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg))
            if total > 0:
                hits.append(Hit(article.article_id, article.title, round(total, 4)))
        hits.sort(key=lambda h: (-h.score, h.article_id))
        return hits[:limit]
