"""The assignment rule as pure functions: who gets a ticket, and what an agent takes next."""

from datetime import UTC, datetime, timedelta

import pytest

from routing.domain import (
    Agent,
    AgentCannotTake,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    next_ticket_for,
    rank_agents,
    skill_name,
)
from ticketflow_shared.events import AgentUpdatedV1, Presence, Priority, TicketAssignedV1

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BILLING = SkillRequirement("billing")


def agent(
    agent_id: str = "a1",
    skills: dict[str, int] | None = None,
    capacity: int = 2,
    presence: Presence = Presence.available,
    held: int = 0,
) -> Agent:
    return Agent(
        agent_id=agent_id,
        name=f"Agent {agent_id}",
        department="support",
        skills={"billing": 5} if skills is None else skills,
        capacity=capacity,
        presence=presence,
        held={slot: f"held-{agent_id}-{slot}" for slot in range(held)},
    )


def ticket(
    ticket_id: str,
    priority: Priority = Priority.normal,
    age_minutes: int = 0,
    requirement: SkillRequirement = BILLING,
) -> RoutingTicket:
    created = T0 - timedelta(minutes=age_minutes)
    return RoutingTicket(ticket_id, requirement.skill, priority, created, requirement)


def ids(agents: list[Agent]) -> list[str]:
    return [a.agent_id for a in agents]


def test_only_agents_with_the_required_skill_are_eligible():
    skilled, unskilled = agent("a1", {"billing": 1}), agent("a2", {"shipping": 9})
    assert ids(rank_agents([unskilled, skilled], BILLING)) == ["a1"]


def test_higher_skill_level_ranks_first_even_when_busier():
    expert = agent("expert", {"billing": 9}, capacity=3, held=2)
    novice = agent("novice", {"billing": 2}, capacity=3)
    assert ids(rank_agents([novice, expert], BILLING)) == ["expert", "novice"]


def test_equal_skill_prefers_fewer_active_tickets_then_lower_load_then_id():
    busy = agent("a-busy", capacity=4, held=2)
    idle = agent("z-idle", capacity=4)
    small = agent("b-small", capacity=2, held=1)  # 1 active, load 0.5
    large = agent("c-large", capacity=4, held=1)  # 1 active, load 0.25
    same = agent("a-same", capacity=4, held=1)  # ties with c-large; id decides
    ranked = ids(rank_agents([busy, idle, small, large, same], BILLING))
    assert ranked == ["z-idle", "a-same", "c-large", "b-small", "a-busy"]


def test_full_or_zero_capacity_agents_are_not_eligible():
    full, none, free = agent("full", capacity=2, held=2), agent("none", capacity=0), agent("free")
    assert ids(rank_agents([full, none, free], BILLING)) == ["free"]


@pytest.mark.parametrize("presence", [Presence.away, Presence.offline])
def test_agents_not_available_are_not_eligible(presence: Presence):
    assert rank_agents([agent(presence=presence)], BILLING) == []


def test_minimum_level_is_enforced():
    requirement = SkillRequirement("billing", min_level=6)
    five, six = agent("five", {"billing": 5}), agent("six", {"billing": 6})
    assert ids(rank_agents([five, six], requirement)) == ["six"]


def test_service_order_is_priority_first_then_oldest_first():
    old_low = ticket("old-low", Priority.low, age_minutes=90)
    new_urgent = ticket("new-urgent", Priority.urgent, age_minutes=1)
    old_normal = ticket("old-normal", Priority.normal, age_minutes=30)
    new_normal = ticket("new-normal", Priority.normal, age_minutes=5)
    old_high = ticket("old-high", Priority.high, age_minutes=60)
    queued = [old_low, new_normal, old_high, new_urgent, old_normal]
    ordered = sorted(queued, key=lambda t: t.queue_key)
    assert [t.ticket_id for t in ordered] == [
        "new-urgent",
        "old-high",
        "old-normal",
        "new-normal",
        "old-low",
    ]


def test_agent_takes_the_most_urgent_oldest_ticket_it_is_skilled_for():
    shipping = SkillRequirement("shipping")
    hard_billing = SkillRequirement("billing", min_level=8)
    queued = [
        ticket("urgent-shipping", Priority.urgent, 50, shipping),  # lacks the skill
        ticket("urgent-hard", Priority.urgent, 40, hard_billing),  # level 5 is not enough
        ticket("high-new", Priority.high, 1),
        ticket("high-old", Priority.high, 20),
        ticket("normal-oldest", Priority.normal, 99),
    ]
    picked = next_ticket_for(agent(skills={"billing": 5}), queued)
    assert picked is not None and picked.ticket_id == "high-old"


def test_agent_without_spare_capacity_takes_nothing():
    assert next_ticket_for(agent(capacity=1, held=1), [ticket("t1")]) is None


def test_assign_uses_the_lowest_free_slot_and_records_the_event():
    worker = agent(capacity=3)
    worker.held = {0: "t0", 2: "t2"}
    assignment = worker.assign(ticket("t9"), T0)
    assert assignment.slot == 1
    assert worker.active_tickets == ["t0", "t9", "t2"]
    [event, load] = worker.pull_events()
    assert isinstance(event, TicketAssignedV1)
    assert (event.ticket_id, event.agent_id, event.skill, event.skill_level) == (
        "t9",
        "a1",
        "billing",
        5,
    )
    assert isinstance(load, AgentUpdatedV1) and load.active_tickets == 3


def test_release_frees_the_slot_and_records_the_load_left():
    worker = agent(capacity=3)
    worker.held = {0: "t0", 1: "t1"}
    worker.release("t0", T0)
    assert worker.active_tickets == ["t1"] and worker.free_slot() == 0
    [load] = worker.pull_events()
    assert isinstance(load, AgentUpdatedV1) and (load.agent_id, load.active_tickets) == ("a1", 1)
    with pytest.raises(ValueError):
        worker.release("t0", T0)


def test_agent_over_a_lowered_capacity_takes_nothing_until_below_it():
    worker = agent(capacity=3, held=3)
    worker.revise({"capacity": 2}, T0)
    worker.held.pop(0)
    assert worker.free_slot() is None
    with pytest.raises(AgentCannotTake):
        worker.assign(ticket("t9"), T0)
    worker.held.pop(1)
    assert worker.free_slot() == 0


def test_revise_records_an_update_only_when_something_changed():
    worker = agent(presence=Presence.away)
    assert worker.revise({"presence": Presence.away}, T0) is False
    assert worker.pull_events() == [] and worker.version == 0
    assert worker.revise({"presence": Presence.available}, T0) is True
    [event] = worker.pull_events()
    assert isinstance(event, AgentUpdatedV1) and event.presence is Presence.available
    assert worker.version == 1


@pytest.mark.parametrize(
    ("changes", "wakes"),
    [
        ({"capacity": 5}, True),
        ({"skills": {"billing": 5, "shipping": 3}}, True),
        ({"name": "Renamed"}, False),
        ({"capacity": 1}, False),
    ],
)
def test_revise_says_when_the_agent_may_take_more_work(changes: dict, wakes: bool):
    assert agent(capacity=2, held=0).revise(changes, T0) is wakes


def test_an_unavailable_agent_is_never_woken():
    assert agent(presence=Presence.offline).revise({"capacity": 9}, T0) is False


def test_default_rule_needs_the_category_as_skill_at_level_one():
    rule = RoutingRule.default(" Billing ")
    assert (rule.category, rule.skill, rule.min_level, rule.is_default) == (
        "billing",
        "billing",
        1,
        True,
    )


def test_skill_names_are_safe_document_keys():
    assert skill_name("Tier 2.Support$") == "tier_2_support"
    assert skill_name("...") == ""
