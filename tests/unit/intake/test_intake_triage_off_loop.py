"""Slow triage rules run off the event loop: other coroutines go on while they are evaluated,
and the time budget still skips what it skipped."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from intake_fakes import BILLING, GENERAL, FakeCategories, FakeClock, FakeTickets, create_command

from intake import handlers, triage_handlers
from intake.domain.triage_config import RuleSet, TriageConfig
from intake.domain.triage_eval import TicketFacts
from intake.domain.triage_rules import TriageRule
from intake.triage_step import Triager

# Each search of SLOW_PATTERN over SLOW_BODY backtracks past any regex time limit.
SLOW_PATTERN = r"\w*\w*\w*x\d"
SLOW_BODY = "a" * 19_000 + "x"
BUDGET = 0.5  # 30 rules x 0.05 s per regex would be 1.5 s: the budget stops them at 0.5
SLOW_RULES = [
    TriageRule.model_validate(
        {
            "name": f"slow{n:02}",
            "rank": n,
            "when": {"kind": "regex", "pattern": SLOW_PATTERN},
            "then": {"tags": ["slow"]},
        }
    )
    for n in range(30)
]


class FixedSource:
    async def current(self) -> TriageConfig:
        return TriageConfig(RuleSet(1, SLOW_RULES), None)


async def create_slow_ticket() -> list[dict]:
    created = await handlers.create_ticket(
        create_command(subject="Slow", body=SLOW_BODY),
        FakeTickets(),
        FakeCategories(BILLING, GENERAL),
        FakeClock(),
        triager=Triager(FixedSource(), rules_budget_seconds=BUDGET),
    )
    return created.ticket.triage["skipped"]


async def dry_run_slow_rules() -> list[dict]:
    facts = TicketFacts("web", "Slow", SLOW_BODY, FakeClock()())
    return (await triage_handlers.dry_run(SLOW_RULES, facts, BUDGET)).skipped


async def ticking_while(work: Awaitable[list[dict]]) -> tuple[list[dict], list[float]]:
    """What `work` returns, and the gaps between the ticks of a coroutine run beside it."""
    done = asyncio.Event()
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # the ticker starts before the work does
    try:
        return await work, gaps
    finally:
        done.set()
        await ticker


@pytest.mark.parametrize("work", [create_slow_ticket, dry_run_slow_rules])
async def test_the_loop_keeps_ticking_while_slow_rules_run(
    work: Callable[[], Awaitable[list[dict]]],
) -> None:
    began = time.monotonic()
    skipped, gaps = await ticking_while(work())
    took = time.monotonic() - began

    assert BUDGET * 0.9 <= took < BUDGET * 3
    # On the loop, the ticker would wait out the whole budget at once.
    assert len(gaps) >= 10
    assert max(gaps) < BUDGET / 2
    assert len(skipped) == 30
    assert {"why": "rule skipped: time budget spent"} in [
        {"why": entry["why"]} for entry in skipped
    ]
