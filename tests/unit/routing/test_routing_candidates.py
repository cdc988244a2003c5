"""Candidate evaluation: reasons agents are passed over, the order keys, the fairness cap."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from routing.domain import Agent, RoutingTicket, SkillRequirement
from routing.domain.assignment import queue_order
from routing.domain.calendars import Calendar
from routing.domain.candidates import Reason, evaluate
from routing.domain.policies import EscalationStep, OrderKey, QueuePolicy
from routing.domain.shifts import ShiftWindows
from ticketflow_shared.events import Presence, Priority

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday
BILLING = SkillRequirement("billing", 5)
POLICY = QueuePolicy("billing", required=(BILLING,), fairness_cap=2)


def agent(agent_id: str, level: int = 5, *, held: int = 0, capacity: int = 3, **kw) -> Agent:
    return Agent(
        agent_id=agent_id,
        name=agent_id,
        department="billing",
        skills={"billing": level} if level else {},
        capacity=capacity,
        presence=kw.pop("presence", Presence.available),
        held={slot: f"{agent_id}-{slot}" for slot in range(held)},
        **kw,
    )


def reasons(evaluation, agent_id: str) -> tuple[Reason, ...]:
    return next(c.reasons for c in evaluation.considered if c.agent_id == agent_id)


def test_every_agent_passed_over_says_why() -> None:
    windows = ShiftWindows()
    night = Calendar.weekly("UTC", {"mon": ["20:00-23:00"]})
    agents = [
        agent("none", 0),
        agent("low", 3),
        agent("full", held=3),
        agent("away", presence=Presence.away),
        agent("offline", presence=Presence.offline),
        agent("night", shift=night),
        agent("declined"),
        agent("french", languages=("fr",)),
        agent("ok", languages=("de",)),
    ]
    policy = QueuePolicy("billing", required=(BILLING,), language=True)
    result = evaluate(
        agents,
        policy.needs(timedelta()),
        language="de",
        on_shift=lambda a: windows.on_shift(a, T0),
        declined={"declined"},
    )
    assert [a.agent_id for a in result.ranked] == ["ok"]
    assert result.chosen is not None and result.chosen.agent_id == "ok"
    expected = {
        "none": (Reason.skill_missing, Reason.language),
        "low": (Reason.level_too_low, Reason.language),
        "full": (Reason.language, Reason.at_capacity),
        "away": (Reason.language, Reason.away),
        "offline": (Reason.language, Reason.offline),
        "night": (Reason.language, Reason.off_shift),
        "declined": (Reason.language, Reason.declined_recently),
        "french": (Reason.language,),
    }
    assert {k: reasons(result, k) for k in expected} == expected


def test_default_order_is_level_then_load_then_longest_idle() -> None:
    agents = [
        agent("busy", 9, held=1),
        agent("recent", 7, last_assigned_at=T0),
        agent("idle", 7, last_assigned_at=T0 - timedelta(hours=1)),
        agent("top", 9),
    ]
    result = evaluate(agents, POLICY.needs(timedelta()))
    assert [a.agent_id for a in result.ranked] == ["top", "busy", "idle", "recent"]
    assert result.chosen is not None and result.chosen.keys == {"level": 9, "load": 0, "idle": None}


def test_preferred_skills_rank_but_do_not_filter() -> None:
    policy = QueuePolicy(
        "billing",
        required=(BILLING,),
        preferred=(SkillRequirement("german", 3),),
        order=(OrderKey.preferred, OrderKey.level),
        steps=(EscalationStep(300, drop_preferred=True),),
    )
    german = agent("german", 5)
    german.skills["german"] = 4
    agents = [agent("expert", 10), german]
    fresh = evaluate(agents, policy.needs(timedelta()))
    assert [a.agent_id for a in fresh.ranked] == ["german", "expert"]
    later = evaluate(agents, policy.needs(timedelta(seconds=300)))
    assert [a.agent_id for a in later.ranked] == ["expert", "german"]


def test_fairness_cap_passes_over_a_busy_taker_while_another_is_idle() -> None:
    agents = [agent("star", 10), agent("idle", 5)]
    result = evaluate(agents, POLICY.needs(timedelta()), recent={"star": 2})
    assert [a.agent_id for a in result.ranked] == ["idle"]
    assert reasons(result, "star") == (Reason.fairness_cap,)


def test_fairness_cap_never_leaves_a_ticket_waiting() -> None:
    agents = [agent("star", 10), agent("other", 5, held=1)]
    result = evaluate(agents, POLICY.needs(timedelta()), recent={"star": 5})
    assert [a.agent_id for a in result.ranked] == ["star", "other"]


def test_lowered_levels_let_a_junior_agent_take_it_after_waiting() -> None:
    policy = QueuePolicy(
        "billing", required=(BILLING,), steps=(EscalationStep(900, lower_levels_by=2),)
    )
    assert evaluate([agent("junior", 3)], policy.needs(timedelta(seconds=899))).ranked == []
    assert evaluate([agent("junior", 3)], policy.needs(timedelta(seconds=900))).ranked


def test_shift_windows_are_reused_until_they_end_and_tell_the_next_start() -> None:
    shift = Calendar.weekly("Europe/Berlin", {"mon": ["12:00-17:00"]}, country="DE")
    windows = ShiftWindows()
    late = agent("late", shift=shift)
    assert not windows.on_shift(late, T0)  # 11:00 in Berlin
    assert windows.next_start([late], T0) == datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert windows.on_shift(late, datetime(2026, 3, 2, 11, tzinfo=UTC))
    assert len(windows.cache) == 1


def test_shift_windows_at_one_moment_answer_as_on_shift_does() -> None:
    shift = Calendar.weekly("Europe/Berlin", {"mon": ["12:00-17:00"]}, country="DE")
    windows = ShiftWindows()
    agents = [agent("late", shift=shift), agent("always"), agent("also-late", shift=shift)]
    for now in (T0, datetime(2026, 3, 2, 11, tzinfo=UTC), datetime(2026, 3, 2, 16, tzinfo=UTC)):
        on_shift = windows.at(now)
        assert [on_shift(a) for a in agents] == [windows.on_shift(a, now) for a in agents]


agents_strategy = st.lists(
    st.builds(
        lambda i, lvl, cap, held, pres: agent(
            f"a{i}", lvl, capacity=cap, held=min(held, cap + 1), presence=pres
        ),
        st.integers(0, 10_000),
        st.integers(0, 10),
        st.integers(0, 5),
        st.integers(0, 6),
        st.sampled_from(list(Presence)),
    ),
    max_size=30,
    unique_by=lambda a: a.agent_id,
)


@given(agents_strategy, st.integers(1, 10), st.integers(0, 4000))
def test_never_over_capacity_nor_below_a_required_level_unless_relaxed(
    agents: list[Agent], min_level: int, waited: int
) -> None:
    policy = QueuePolicy(
        "billing",
        required=(SkillRequirement("billing", min_level),),
        steps=(EscalationStep(900, lower_levels_by=2),),
    )
    needs = policy.needs(timedelta(seconds=waited))
    floor = max(1, min_level - 2) if waited >= 900 else min_level
    for chosen in evaluate(agents, needs).ranked:
        assert chosen.active_count < chosen.capacity
        assert chosen.presence is Presence.available
        assert chosen.level("billing") >= floor


tickets_strategy = st.lists(
    st.builds(
        lambda i, prio, minutes, dept: RoutingTicket(
            ticket_id=f"TF-{i}",
            category="billing",
            priority=prio,
            created_at=T0 + timedelta(minutes=minutes),
            requirement=BILLING,
            department=dept,
        ),
        st.integers(0, 10_000),
        st.sampled_from(list(Priority)),
        st.integers(0, 600),
        st.sampled_from(["billing", "technical", None]),
    ),
    max_size=30,
    unique_by=lambda t: t.ticket_id,
)


@given(tickets_strategy)
def test_a_drain_keeps_queue_priority_order_and_the_agent_s_departments(tickets) -> None:
    ordered = queue_order(agent("a"), tickets)
    assert [t.queue_key for t in ordered] == sorted(t.queue_key for t in ordered)
    assert all(t.department in ("billing", None) for t in ordered)
    assert len(ordered) == sum(t.department != "technical" for t in tickets)
