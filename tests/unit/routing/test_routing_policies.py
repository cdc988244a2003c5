"""Queue policies: validation, and how escalation steps relax the needs over waiting time."""

from datetime import timedelta

import pytest

from routing.domain import SkillRequirement
from routing.domain.policies import EscalationStep, OrderKey, PolicyError, QueuePolicy
from ticketflow_shared.events import Priority

STEPS = (
    EscalationStep(300, drop_preferred=True),
    EscalationStep(900, lower_levels_by=2),
    EscalationStep(1800, overflow_to="technical"),
    EscalationStep(2700, raise_priority=Priority.urgent, page_supervisor=True),
)


def policy(**changes: object) -> QueuePolicy:
    fields: dict[str, object] = {
        "department": "billing",
        "required": (SkillRequirement("billing", 6), SkillRequirement("refunds", 2)),
        "preferred": (SkillRequirement("german", 3),),
        "steps": STEPS,
    }
    return QueuePolicy(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_valid_policy_checks_and_keys_by_department_and_category() -> None:
    assert policy().check().key == "billing"
    assert policy(category="refund").key == "billing/refund"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"required": ()}, "at least one required skill"),
        ({"required": (SkillRequirement("a", 11),)}, "min_level must be 1-10"),
        ({"required": (SkillRequirement("a"), SkillRequirement("a"))}, "required skills repeat"),
        ({"preferred": (SkillRequirement("billing"),)}, "both required and preferred"),
        ({"order": ()}, "order must list"),
        ({"order": (OrderKey.load, OrderKey.load)}, "order must list"),
        ({"fairness_cap": 0}, "fairness_cap must be at least 1"),
        ({"steps": (STEPS[1], STEPS[0])}, "in order of after_seconds"),
        ({"steps": (EscalationStep(60),)}, "changes nothing"),
        ({"steps": (EscalationStep(0, drop_preferred=True),)}, "at least 1"),
        ({"steps": (EscalationStep(60, overflow_to="billing"),)}, "own department"),
    ],
)
def test_a_policy_that_cannot_be_used_names_what_is_wrong(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(**changes).check()


def test_before_the_first_step_the_needs_are_the_policy_s_own() -> None:
    needs = policy().needs(timedelta(seconds=299))
    assert needs.required == policy().required
    assert needs.preferred == policy().preferred
    assert (needs.steps, needs.overflow_to, needs.priority) == ((), None, None)


def test_steps_apply_one_after_another_as_the_ticket_waits() -> None:
    assert policy().needs(timedelta(seconds=300)).preferred == ()
    lowered = policy().needs(timedelta(seconds=900))
    assert lowered.required == (SkillRequirement("billing", 4), SkillRequirement("refunds", 1))
    assert lowered.steps == (0, 1)
    assert policy().needs(timedelta(seconds=1800)).overflow_to == "technical"
    last = policy().needs(timedelta(hours=1))
    assert (last.steps, last.priority) == ((0, 1, 2, 3), Priority.urgent)


def test_steps_applied_by_index_are_the_ones_recorded_not_the_clock() -> None:
    needs = policy().needs_after([1])
    assert needs.preferred == policy().preferred
    assert needs.required[0] == SkillRequirement("billing", 4)


def test_only_steps_that_move_or_raise_the_ticket_are_announced() -> None:
    assert [step.publishes for step in STEPS] == [False, False, True, True]


def test_without_a_policy_the_category_rule_is_the_one_need() -> None:
    fallback = QueuePolicy.fallback("billing", SkillRequirement("billing", 3))
    needs = fallback.check().needs(timedelta(days=1))
    assert needs.required == (SkillRequirement("billing", 3),)
    assert (fallback.version, needs.preferred, needs.steps) == (0, (), ())
