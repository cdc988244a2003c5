"""Triage rules: validation when saved and evaluation in rank order."""

import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from intake.domain.triage_eval import TicketFacts, evaluate
from intake.domain.triage_rules import TriageRule
from ticketflow_shared.events import Priority

MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def facts(subject="Refund please", body="I was charged twice", **kw) -> TicketFacts:
    return TicketFacts(
        channel=kw.pop("channel", "email"),
        subject=subject,
        body=body,
        at=kw.pop("at", MONDAY_NOON),
        **kw,
    )


def rule(name, when, then, rank=100, stop=False) -> TriageRule:
    return TriageRule.model_validate(
        {"name": name, "rank": rank, "when": when, "then": then, "stop": stop}
    )


def test_matching_rule_sets_actions_and_records_why():
    r = rule(
        "refunds",
        {"kind": "any_word", "words": ["refund", "退款"]},
        {"category": "billing", "priority": "high", "tags": ["money"]},
    )
    out = evaluate([r], facts())
    assert (out.category, out.priority, out.tags) == ("billing", Priority.high, ["money"])
    assert out.fired == [{"rule": "refunds", "why": ["text has 'refund'"]}]


def test_rules_run_in_rank_order_and_stop_halts():
    first = rule(
        "b-first",
        {"kind": "contains", "value": "charged"},
        {"category": "billing"},
        rank=1,
        stop=True,
    )
    later = rule(
        "a-later",
        {"kind": "channel", "any_of": ["email"]},
        {"category": "technical", "tags": ["late"]},
        rank=2,
    )
    out = evaluate([later, first], facts())
    assert out.category == "billing"
    assert [f["rule"] for f in out.fired] == ["b-first"]


def test_combinators_and_tier_and_fields():
    when = {
        "kind": "all",
        "of": [
            {"kind": "tier", "any_of": ["gold"]},
            {"kind": "not", "of": {"kind": "channel", "any_of": ["chat"]}},
            {
                "kind": "any",
                "of": [
                    {"kind": "field", "name": "order_id"},
                    {"kind": "regex", "pattern": r"INV-\d+"},
                ],
            },
        ],
    }
    r = rule("vip", when, {"priority": "urgent"})
    assert evaluate([r], facts(tier="gold", fields={"order_id": "A1"})).priority == Priority.urgent
    assert evaluate([r], facts(tier="gold")).fired == []
    assert evaluate([r], facts(tier="basic", fields={"order_id": "A1"})).fired == []


def test_time_window_in_a_time_zone():
    shanghai_evening = {"kind": "time", "tz": "Asia/Shanghai", "from_hour": 18, "weekdays": [0]}
    r = rule("evening", shanghai_evening, {"tags": ["after-hours"]})
    assert evaluate([r], facts()).tags == ["after-hours"]  # 12:00 UTC = 20:00 Shanghai, Monday
    assert evaluate([r], facts(at=datetime(2026, 11, 30, 3, tzinfo=UTC))).tags == []


@pytest.mark.parametrize(
    ("utc_hour", "fires"), [(13, False), (14, True), (17, True), (21, True), (22, False)]
)
def test_a_night_window_runs_across_midnight(utc_hour, fires):
    # 22 to 6 in Shanghai (UTC+8) is 14:00 to 21:59 UTC.
    night = {"kind": "time", "tz": "Asia/Shanghai", "from_hour": 22, "to_hour": 6}
    r = rule("night", night, {"tags": ["night"]})
    at = datetime(2026, 11, 30, utc_hour, 30, tzinfo=UTC)
    assert (evaluate([r], facts(at=at)).tags == ["night"]) is fires


def test_regex_timeout_is_recorded_as_skipped_not_raised():
    r = rule("slow", {"kind": "regex", "pattern": r"(\w)\w*\1!"}, {"category": "x"})
    out = evaluate([r], facts(body="ab" * 200_000), timeout=1e-9)
    assert out.skipped == [{"rule": "slow", "why": "rule skipped: timeout"}]
    assert out.category is None


SLOW_PATTERN = r"\w*\w*\w*x\d"  # backtracks for seconds over SLOW_BODY
SLOW_BODY = "a" * 19_000 + "x"


class StepClock:
    """A monotonic clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_once_the_budget_is_spent_the_rules_still_needing_a_regex_are_skipped_for_time():
    regexes = [
        rule(f"r{n:02}", {"kind": "regex", "pattern": "zzz"}, {"tags": [f"r{n}"]}, rank=n)
        for n in range(30)
    ]
    negated = rule(
        "negated", {"kind": "not", "of": {"kind": "regex", "pattern": "zzz"}}, {"tags": ["n"]}, 50
    )
    plain = rule("plain", {"kind": "contains", "value": "charged"}, {"tags": ["money"]}, 60)
    # Read once at the start, then once before each regex: the tenth finds none left.
    out = evaluate([*regexes, negated, plain], facts(), budget=0.1, clock=StepClock(0.01))

    spent = {"why": "rule skipped: time budget spent"}
    assert out.skipped == [{"rule": f"r{n:02}", **spent} for n in range(9, 30)] + [
        {"rule": "negated", **spent}
    ]
    # A rule without a regex still runs, and one never ran counts as matching nothing.
    assert out.fired == [{"rule": "plain", "why": ["text contains 'charged'"]}]
    assert out.tags == ["money"]


def test_thirty_slow_rules_take_about_the_budget_not_thirty_time_limits():
    slow = [
        rule(f"slow{n:02}", {"kind": "regex", "pattern": SLOW_PATTERN}, {"tags": ["slow"]}, n)
        for n in range(30)
    ]
    started = time.monotonic()
    out = evaluate(slow, facts(body=SLOW_BODY), timeout=0.05, budget=0.2)
    took = time.monotonic() - started

    assert took < 0.6  # 30 x 0.05 = 1.5 s without a total
    whys = [entry["why"] for entry in out.skipped]
    assert len(whys) == 30 and whys[0] == "rule skipped: timeout"
    assert whys[-1] == "rule skipped: time budget spent"
    assert out.fired == []


@pytest.mark.parametrize(
    ("when", "part"),
    [
        ({"kind": "regex", "pattern": "(a+)+$"}, "nested quantifiers"),
        ({"kind": "regex", "pattern": "a" * 201}, "at most 200"),
        ({"kind": "regex", "pattern": "(unclosed"}, "invalid regex"),
        ({"kind": "contains", "value": "x", "colour": "red"}, "colour"),
        ({"kind": "guess"}, "guess"),
        ({"kind": "time", "tz": "Mars/Base"}, "unknown time zone"),
        ({"kind": "time", "from_hour": 6, "to_hour": 6}, "an empty window"),
        (
            {
                "kind": "not",
                "of": {
                    "kind": "not",
                    "of": {
                        "kind": "not",
                        "of": {
                            "kind": "not",
                            "of": {"kind": "not", "of": {"kind": "contains", "value": "x"}},
                        },
                    },
                },
            },
            "nest deeper",
        ),
    ],
)
def test_bad_rules_are_rejected_naming_the_part(when, part):
    with pytest.raises(ValidationError) as raised:
        rule("bad", when, {"category": "x"})
    assert part in str(raised.value)
