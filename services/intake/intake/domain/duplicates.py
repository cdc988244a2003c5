"""Whether a new ticket repeats an open one of the same customer: text fingerprints and scores.

A fingerprint is the normalised words of subject and body (jieba words for Chinese, stemmed
English words without stop words, numbers and codes kept as they are) plus the character
bigrams of the text. The score of two fingerprints is the mean of the cosine of their word
counts and the Jaccard overlap of their bigrams, between 0 and 1.
"""

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import regex

from intake.domain.triage_text import tokens
from ticketflow_shared.events import TicketStatus

_HAN = regex.compile(r"\p{Han}")
_BIGRAM_TEXT = regex.compile(r"[^\p{L}\p{N}]+")
_SUFFIXES = ("ing", "edly", "ed", "ies", "es", "ly", "s")
_EN_STOP = (
    "a an and are as at be been but by can could do does did for from has have had hi hello "
    "i i'm im is it it's its me my of on or our please so that the their them there this "
    "to us was we were what when which with would you your thanks thank regards dear team "
    "still again just also any some get got not no"
)
_ZH_STOP = "的 了 是 我 你 在 和 也 就 都 还 吗 呢 吧 啊 请 您 一下 一个 有 没有 怎么"
STOP_WORDS = frozenset(_EN_STOP.split())
ZH_STOP_WORDS = frozenset(_ZH_STOP.split())
OPEN_STATUSES = tuple(s for s in TicketStatus if s.is_open)


@dataclass(frozen=True)
class DuplicatePolicy:
    enabled: bool = True
    window: timedelta = timedelta(hours=72)
    threshold: float = 0.4


@dataclass(frozen=True)
class Fingerprint:
    words: Counter[str]
    bigrams: frozenset[str]

    @property
    def digest(self) -> str:
        """A short stable name of the normalised words, as the decision records it."""
        text = " ".join(sorted(self.words.elements()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def summary(self) -> list[str]:
        """The most frequent words, what an agent reads to see why two tickets matched."""
        return [word for word, _ in self.words.most_common(12)]


@dataclass(frozen=True)
class Candidate:
    """An earlier ticket of the customer's, as the decision needs it."""

    ticket_id: str
    status: TicketStatus
    created_at: datetime
    subject: str
    body: str


@dataclass(frozen=True)
class Match:
    ticket_id: str
    score: float
    threshold: float
    fingerprint: Fingerprint
    matched_fingerprint: Fingerprint


def stem(word: str) -> str:
    """A crude English stem: enough for "refunds"/"refunded"/"refunding" to meet."""
    if not word.isalpha() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def fingerprint(subject: str, body: str) -> Fingerprint:
    text = f"{subject}\n{body}"
    words: Counter[str] = Counter()
    for token in tokens(text):
        if _HAN.match(token):
            if token not in ZH_STOP_WORDS:
                words[token] += 1
        elif token not in STOP_WORDS:
            words[stem(token)] += 1
    squeezed = _BIGRAM_TEXT.sub(" ", text.casefold())
    bigrams = frozenset(
        squeezed[n : n + 2] for n in range(len(squeezed) - 1) if " " not in squeezed[n : n + 2]
    )
    return Fingerprint(words, bigrams)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    return round((_cosine(a.words, b.words) + _jaccard(a.bigrams, b.bigrams)) / 2, 4)


def find_duplicate(
    subject: str,
    body: str,
    candidates: list[Candidate],
    *,
    now: datetime,
    policy: DuplicatePolicy,
) -> Match | None:
    """The best-scoring open candidate created within the window, if it reaches the threshold
    (ties go to the newer ticket); None when detection is off or nothing is close enough."""
    if not policy.enabled:
        return None
    new = fingerprint(subject, body)
    best: Match | None = None
    recent = [c for c in candidates if c.status.is_open and now - c.created_at <= policy.window]
    for candidate in sorted(recent, key=lambda c: c.created_at, reverse=True):
        earlier = fingerprint(candidate.subject, candidate.body)
        score = similarity(new, earlier)
        if score >= policy.threshold and (best is None or score > best.score):
            best = Match(candidate.ticket_id, score, policy.threshold, new, earlier)
    return best


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[word] for word, count in a.items())
    norms = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norms if norms else 0.0


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass(frozen=True)
class DuplicateDecision:
    """A new request joined to an open ticket: what matched, how well, and where it went.

    `id` is the request's own (derived from its Idempotency-Key when it has one, so a retry
    finds the decision); `key` and `request_fingerprint` tell a retry from a misuse.
    """

    id: str
    ticket_id: str
    message_id: str
    customer_id: str
    channel: str
    score: float
    threshold: float
    fingerprint: str
    words: list[str]
    matched_fingerprint: str
    matched_words: list[str]
    decided_at: datetime
    key: str | None = None
    request_fingerprint: str | None = None


def decision_id(request_id: str) -> str:
    """The decision's id from the request's (a ticket id the request would have had)."""
    return DECISION_ID_PREFIX + request_id.removeprefix("TF-")


DECISION_ID_PREFIX = "DUP-"
