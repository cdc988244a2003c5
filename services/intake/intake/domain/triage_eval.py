"""Evaluate triage rules against a ticket, in rank order, recording which fired and why."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import regex

from intake.domain.triage_rules import (
    REGEX_TIMEOUT_S,
    RULES_BUDGET_S,
    All,
    AnyOf,
    AnyWord,
    ChannelIs,
    Condition,
    Contains,
    FieldEquals,
    Matches,
    Not,
    TierIs,
    TimeWindow,
    TriageRule,
)
from ticketflow_shared.events import Priority


@dataclass(frozen=True)
class TicketFacts:
    """What rules may look at."""

    channel: str
    subject: str
    body: str
    at: datetime
    tier: str | None = None
    fields: dict = field(default_factory=dict)

    def text(self, on: str) -> str:
        return {"subject": self.subject, "body": self.body}.get(on, f"{self.subject}\n{self.body}")


class RuleTimeout(Exception):
    """A regex ran past its time limit."""

    why = "rule skipped: timeout"


class BudgetSpent(RuleTimeout):
    """The time for evaluating the ticket's rules ran out before or during this regex."""

    why = "rule skipped: time budget spent"


@dataclass(frozen=True)
class _Limits:
    """How long one regex may run, and the `clock` reading by which all of them must end."""

    per_regex: float
    until: float | None
    clock: Callable[[], float]

    def next_regex(self) -> float:
        """Seconds the next regex may run; BudgetSpent when none are left."""
        if self.until is None:
            return self.per_regex
        left = self.until - self.clock()
        if left <= 0:
            raise BudgetSpent
        return min(self.per_regex, left)


@dataclass
class TriageOutcome:
    category: str | None = None
    priority: Priority | None = None
    department: str | None = None
    tags: list[str] = field(default_factory=list)
    fired: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def evaluate(
    rules: list[TriageRule],
    facts: TicketFacts,
    timeout: float = REGEX_TIMEOUT_S,
    budget: float | None = RULES_BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
) -> TriageOutcome:
    """Apply matching rules in (rank, name) order; later rules don't override set values.

    Each regex runs at most `timeout` seconds, and none runs once `budget` seconds have passed
    since evaluation began (None: no total); a rule whose regex runs out of either does not
    match and is recorded as skipped, with the limit it hit."""
    out = TriageOutcome()
    limits = _Limits(timeout, None if budget is None else clock() + budget, clock)
    for rule in sorted(rules, key=lambda r: (r.rank, r.name)):
        reasons: list[str] = []
        try:
            matched = _holds(rule.when, facts, reasons, limits)
        except RuleTimeout as stopped:
            out.skipped.append({"rule": rule.name, "why": stopped.why})
            continue
        if not matched:
            continue
        _apply(rule, out)
        out.fired.append({"rule": rule.name, "why": reasons})
        if rule.stop:
            break
    return out


def _apply(rule: TriageRule, out: TriageOutcome) -> None:
    act = rule.then
    out.category = out.category or act.category
    out.priority = out.priority or act.priority
    out.department = out.department or act.department
    out.tags.extend(t for t in act.tags if t not in out.tags)


def _holds(cond: Condition, facts: TicketFacts, why: list[str], limits: _Limits) -> bool:
    if isinstance(cond, All):
        return all(_holds(c, facts, why, limits) for c in cond.of)
    if isinstance(cond, AnyOf):
        return any(_holds(c, facts, why, limits) for c in cond.of)
    if isinstance(cond, Not):
        inner: list[str] = []
        result = not _holds(cond.of, facts, inner, limits)
        if result:
            why.append("not(" + ", ".join(inner or ["condition"]) + ")")
        return result
    return _leaf(cond, facts, why, limits)


def _leaf(cond: Condition, facts: TicketFacts, why: list[str], limits: _Limits) -> bool:
    hit: str | None = None
    if isinstance(cond, ChannelIs):
        hit = f"channel={facts.channel}" if facts.channel in cond.any_of else None
    elif isinstance(cond, Contains):
        found = cond.value.casefold() in facts.text(cond.on).casefold()
        hit = f"{cond.on} contains {cond.value!r}" if found else None
    elif isinstance(cond, AnyWord):
        text = facts.text(cond.on).casefold()
        words = [w for w in cond.words if w.casefold() in text]
        hit = f"{cond.on} has {words[0]!r}" if words else None
    elif isinstance(cond, Matches):
        hit = f"{cond.on} matches {cond.pattern!r}" if _search(cond, facts, limits) else None
    elif isinstance(cond, TierIs):
        hit = f"tier={facts.tier}" if facts.tier in cond.any_of else None
    elif isinstance(cond, FieldEquals):
        hit = _field_hit(cond, facts)
    elif isinstance(cond, TimeWindow):
        hit = _time_hit(cond, facts)
    if hit:
        why.append(hit)
    return hit is not None


def _search(cond: Matches, facts: TicketFacts, limits: _Limits) -> bool:
    allowed = limits.next_regex()
    try:
        return regex.search(cond.pattern, facts.text(cond.on), timeout=allowed) is not None
    except TimeoutError:
        raise (BudgetSpent if allowed < limits.per_regex else RuleTimeout)() from None


def _field_hit(cond: FieldEquals, facts: TicketFacts) -> str | None:
    if cond.name not in facts.fields:
        return None
    value = facts.fields[cond.name]
    if cond.equals is None or value == cond.equals:
        return f"field {cond.name}={value!r}"
    return None


def _time_hit(cond: TimeWindow, facts: TicketFacts) -> str | None:
    local = facts.at.astimezone(ZoneInfo(cond.tz))
    if local.weekday() in cond.weekdays and cond.covers(local.hour):
        return f"time {local:%a %H:%M} {cond.tz}"
    return None
