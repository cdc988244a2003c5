"""Selection decides what the plain evaluation decides: the same choice, the same explained
head and fallback order, the same reasons, and the same stored explanation."""

import heapq
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing import explain
from routing.domain import Agent, RoutingTicket, SkillRequirement, candidates, selection
from routing.domain.candidates import EXPLAINED, Evaluation, evaluate
from routing.domain.policies import Needs, OrderKey, QueuePolicy
from routing.domain.selection import Ranking, select
from ticketflow_shared.events import Presence, Priority

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
SKILLS = ("billing", "refunds", "german", "tech", "vip")
LANGUAGES = ("de", "en", "fr")


@contextmanager
def limits(explained: int, sort_all_up_to: int) -> Iterator[None]:
    """Smaller heads, so that small pools take the path large ones take."""
    with (
        patch.object(candidates, "EXPLAINED", explained),
        patch.object(selection, "EXPLAINED", explained),
        patch.object(selection, "SORT_ALL_UP_TO", sort_all_up_to),
    ):
        yield


def assert_same(selected: Evaluation, evaluated: Evaluation, explained: int = EXPLAINED) -> None:
    assert selected.chosen == evaluated.chosen
    head = [(c.agent_id, c.reasons, dict(c.keys)) for c in evaluated.considered[:explained]]
    assert [(c.agent_id, c.reasons, dict(c.keys)) for c in selected.considered[:explained]] == head
    assert list(selected.passed) == list(evaluated.passed)
    assert len(selected.ranked) == len(evaluated.ranked)
    assert list(selected.ranked) == list(evaluated.ranked)  # the order a claimer falls back in
    assert list(selected.considered) == list(evaluated.considered)
    assert len(selected.considered) == len(evaluated.considered)


offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
last_assigned = st.none() | st.builds(
    lambda minutes, tz: (T0 - timedelta(minutes=minutes)).astimezone(tz),
    st.integers(0, 5),
    offsets,
)


def agent(
    n: int,
    skills: dict[str, int],
    capacity: int,
    held: int,
    presence: Presence,
    languages: frozenset[str],
    last_assigned_at: datetime | None,
) -> Agent:
    return Agent(
        agent_id=f"a{n:02d}",
        name=f"Agent {n}",
        department="billing",
        skills=skills,
        capacity=capacity,
        presence=presence,
        held={slot: f"T{n}-{slot}" for slot in range(min(held, capacity + 1))},
        languages=tuple(sorted(languages)),
        last_assigned_at=last_assigned_at,
    )


# Mostly able to take a ticket, and often level with one another, so that the ranking has
# many agents to put in order and ties to break.
agent_specs = st.tuples(
    st.lists(st.integers(0, 6), min_size=len(SKILLS), max_size=len(SKILLS)).map(
        lambda levels: {skill: level for skill, level in zip(SKILLS, levels, strict=True) if level}
    ),
    st.integers(0, 4),
    st.integers(0, 5).map(lambda held: held // 2),
    st.sampled_from([Presence.available] * 5 + [Presence.away, Presence.offline]),
    st.frozensets(st.sampled_from(LANGUAGES)),
    last_assigned,
)
# Ids in another order than the pool's, so that ties broken by id are not in pool order.
pools = st.builds(
    lambda specs, ids: [agent(ids[n], *spec) for n, spec in enumerate(specs)],
    st.lists(agent_specs, min_size=10, max_size=24),
    st.permutations(range(24)),
)


@st.composite
def needs(draw: st.DrawFn) -> Needs:
    skills = draw(st.permutations(SKILLS))
    required, preferred = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    return Needs(
        required=tuple(SkillRequirement(s, draw(st.integers(0, 4))) for s in skills[:required]),
        preferred=tuple(
            SkillRequirement(s, draw(st.integers(0, 6)))
            for s in skills[required : required + preferred]
        ),
        language=draw(st.booleans()),
        order=tuple(draw(st.permutations(list(OrderKey)))[: draw(st.integers(1, 4))]),
        fairness_cap=draw(st.none() | st.integers(0, 4)),
    )


@given(
    pools,
    needs(),
    st.none() | st.sampled_from(LANGUAGES),
    st.sets(st.integers(0, 23), max_size=5),
    st.sets(st.integers(0, 23), max_size=5),
    st.lists(st.integers(0, 5), min_size=24, max_size=24),
    st.sampled_from([(EXPLAINED, selection.SORT_ALL_UP_TO), (3, 6), (3, 0)]),
)
def test_select_decides_as_evaluate_does(
    pool: list[Agent],
    needs: Needs,
    language: str | None,
    declined_ns: set[int],
    off_shift_ns: set[int],
    recent_counts: list[int],
    sizes: tuple[int, int],
) -> None:
    declined = {f"a{n:02d}" for n in declined_ns}
    off_shift = {f"a{n:02d}" for n in off_shift_ns}
    inputs = {
        "language": language,
        "on_shift": lambda agent: agent.agent_id not in off_shift,
        "declined": declined,
        "recent": {f"a{n:02d}": count for n, count in enumerate(recent_counts) if count},
    }
    with limits(*sizes):
        assert_same(select(pool, needs, **inputs), evaluate(pool, needs, **inputs), sizes[0])


@pytest.mark.parametrize("sizes", [(EXPLAINED, selection.SORT_ALL_UP_TO), (3, 6), (3, 0)])
def test_ties_are_broken_by_id_whatever_order_the_pool_comes_in(sizes: tuple[int, int]) -> None:
    pool = [
        agent(n, {"billing": 5}, 2, 0, Presence.available, frozenset(), None)
        for n in reversed(range(12))
    ]
    needs = Needs((SkillRequirement("billing", 1),), (), False, (OrderKey.load,), None)
    with limits(*sizes):
        selected = select(pool, needs)
        assert [a.agent_id for a in selected.ranked] == [f"a{n:02d}" for n in range(12)]
        assert_same(selected, evaluate(pool, needs), sizes[0])


def large_pool(seed: int, count: int) -> list[Agent]:
    rng = random.Random(seed)
    pool = []
    for n in range(count):
        capacity = rng.randint(1, 5)
        pool.append(
            Agent(
                agent_id=f"agt_{n:04d}",
                name=f"Agent {n}",
                department="billing",
                skills={"billing": rng.randint(1, 10), "german": rng.randint(0, 5)},
                capacity=capacity,
                presence=rng.choice([Presence.available] * 4 + [Presence.away]),
                held={slot: f"T{n}-{slot}" for slot in range(rng.randint(0, capacity))},
                last_assigned_at=rng.choice([None, T0 - timedelta(minutes=rng.randint(1, 99))]),
            )
        )
    return pool


POLICY = QueuePolicy(
    "billing",
    required=(SkillRequirement("billing", 3),),
    preferred=(SkillRequirement("german", 2),),
    order=(OrderKey.preferred, OrderKey.level, OrderKey.load, OrderKey.idle),
    fairness_cap=3,
)


def test_a_large_pool_is_ranked_as_evaluate_ranks_it_once_read_past_the_head() -> None:
    pool, needs = large_pool(7, 2500), POLICY.needs(timedelta())
    recent = {agent.agent_id: n % 5 for n, agent in enumerate(pool)}
    with (
        patch.object(Ranking, "ordered", side_effect=AssertionError("sorted the rest")),
        patch.object(heapq, "nsmallest", wraps=heapq.nsmallest) as picked,
    ):
        selected = select(pool, needs, recent=recent)
    assert picked.called
    assert_same(selected, evaluate(pool, needs, recent=recent))


def test_reading_the_choice_and_its_explanation_leaves_the_rest_unsorted() -> None:
    pool, needs = large_pool(11, 1500), POLICY.needs(timedelta())
    selected = select(pool, needs)
    assert len(selected.ranked) > EXPLAINED
    with patch.object(Ranking, "ordered", side_effect=AssertionError("sorted the rest")):
        walked = []
        for agent in selected.ranked:  # as a claim does: it stops at the first it wins
            walked.append(agent.agent_id)
            if len(walked) == EXPLAINED:
                break
        assert selected.chosen is not None
        ticket = RoutingTicket("TF-1", "billing", Priority.normal, T0, POLICY.required[0])
        plan = explain.Plan(POLICY, False, needs, None, "billing")
        explain.decision(ticket, plan, selected, selected.ranked[3], T0)
    evaluated = evaluate(pool, needs)
    assert walked == [agent.agent_id for agent in evaluated.ranked[:EXPLAINED]]


def test_the_stored_explanation_is_the_same_whoever_the_claim_ends_with() -> None:
    pool, needs = large_pool(3, 1500), POLICY.needs(timedelta())
    ticket = RoutingTicket("TF-2", "billing", Priority.high, T0, POLICY.required[0])
    plan = explain.Plan(POLICY, False, needs, None, "billing")
    selected, evaluated = select(pool, needs), evaluate(pool, needs)
    for rank in (0, 7, EXPLAINED + 5, None):  # the first, a fallback, one past the head, none
        chosen = evaluated.ranked[rank] if rank is not None else None
        assert explain.decision(ticket, plan, selected, chosen, T0) == explain.decision(
            ticket, plan, evaluated, chosen, T0
        )


def test_nobody_eligible_is_explained_the_same() -> None:
    pool = [agent for agent in large_pool(5, 40) if agent.presence is Presence.away]
    needs = POLICY.needs(timedelta())
    selected, evaluated = select(pool, needs), evaluate(pool, needs)
    assert selected.chosen is None and not selected.ranked
    assert_same(selected, evaluated)
