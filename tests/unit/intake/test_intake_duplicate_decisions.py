"""The duplicate decision on a few clear pairs, zh and en, and the rules around the score."""

from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.duplicates import (
    Candidate,
    DuplicatePolicy,
    find_duplicate,
    fingerprint,
    similarity,
    stem,
)
from ticketflow_shared.events import TicketStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = DuplicatePolicy()


def candidate(
    subject: str,
    body: str,
    *,
    ticket_id: str = "TF-1",
    status: TicketStatus = TicketStatus.open,
    age: timedelta = timedelta(hours=2),
) -> Candidate:
    return Candidate(ticket_id, status, NOW - age, subject, body)


def score(a: tuple[str, str], b: tuple[str, str]) -> float:
    return similarity(fingerprint(*a), fingerprint(*b))


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (
            ("Refund not received for order 88123", "I returned the kettle, no refund yet."),
            ("Where is my refund? Order 88123", "The kettle went back, the refund never came."),
        ),
        (
            ("订单 20931 退款还没到账", "我上周退回了耳机 退款一直没有到账。"),
            ("退款没到账 订单20931", "耳机已经退回去了 为什么退款还没到账?"),
        ),
        (
            ("App crashes with error E-5012", "The app crashes on startup with error E-5012."),
            ("Error E-5012 when starting the app", "Since the update the app crashes, E-5012."),
        ),
    ],
)
def test_a_rephrased_problem_reaches_the_threshold(first, again) -> None:
    assert score(first, again) >= POLICY.threshold


@pytest.mark.parametrize(
    ("first", "other"),
    [
        (
            ("Refund not received for order 88123", "I returned the kettle, no refund yet."),
            ("Change my delivery address", "Please deliver order 90211 to my office instead."),
        ),
        (
            ("订单 20931 退款还没到账", "我上周退回了耳机 退款一直没有到账。"),
            ("无法登录账户", "输入密码后一直提示错误代码 401 登录不了。"),
        ),
    ],
)
def test_another_problem_stays_below_the_threshold(first, other) -> None:
    assert score(first, other) < POLICY.threshold


def test_the_best_open_recent_candidate_wins() -> None:
    text = ("Where is my refund? Order 88123", "The kettle went back, no refund came.")
    refund = ("Refund not received for order 88123", "I returned the kettle, no refund yet.")
    candidates = [
        candidate(*refund, ticket_id="TF-OLD", age=timedelta(hours=80)),
        candidate(*refund, ticket_id="TF-SOLVED", status=TicketStatus.solved),
        candidate("Cannot log in", "Error E-401 on sign in", ticket_id="TF-LOGIN"),
        candidate(*refund, ticket_id="TF-OPEN"),
    ]
    match = find_duplicate(*text, candidates, now=NOW, policy=POLICY)
    assert match is not None
    assert (match.ticket_id, match.threshold) == ("TF-OPEN", 0.4)
    assert match.score >= 0.4 and "88123" in match.fingerprint.summary


def test_nothing_matches_when_detection_is_off_or_the_window_is_short() -> None:
    text = ("Refund not received for order 88123", "I returned the kettle, no refund yet.")
    candidates = [candidate(*text)]
    off = DuplicatePolicy(enabled=False)
    short = DuplicatePolicy(window=timedelta(hours=1))
    assert find_duplicate(*text, candidates, now=NOW, policy=off) is None
    assert find_duplicate(*text, candidates, now=NOW, policy=short) is None
    assert find_duplicate(*text, candidates, now=NOW, policy=POLICY) is not None


def test_stemming_and_stop_words() -> None:
    assert stem("refunds") == stem("refunded") == stem("refunding") == "refund"
    assert stem("E5012") == "E5012"
    assert "the" not in fingerprint("The refund", "").words
    assert fingerprint("", "").digest == fingerprint(" ", "!").digest
