"""Saving triage rules: each category and department a rule sets must be one intake knows."""

from datetime import UTC, datetime

import pytest
from intake_fakes import BILLING, GENERAL, FakeCategories

from intake import triage_handlers
from intake.domain.triage_config import RuleSet
from intake.domain.triage_rules import TriageRule
from intake.triage_handlers import InvalidRules

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class SavedRules:
    """Keeps what put_rules stores; nothing else of the triage store is asked for."""

    def __init__(self) -> None:
        self.saved: list[TriageRule] | None = None

    async def put_rules(self, rules: list[TriageRule], actor: str, now: datetime) -> RuleSet:
        self.saved = rules
        return RuleSet(1, rules, now, actor)


def rule(name: str, **then: object) -> TriageRule:
    when = {"kind": "contains", "value": "refund"}
    return TriageRule.model_validate({"name": name, "when": when, "then": then})


async def test_a_department_some_category_routes_to_is_saved():
    store = SavedRules()

    await triage_handlers.put_rules(
        store, FakeCategories(BILLING, GENERAL), [rule("r", department="billing")], "ada", NOW
    )

    assert store.saved is not None and store.saved[0].then.department == "billing"


async def test_an_unknown_department_is_refused_naming_the_rule_and_nothing_is_saved():
    store = SavedRules()
    rules = [rule("ok", category="billing"), rule("bad", department="nowhere")]

    with pytest.raises(InvalidRules) as refused:
        await triage_handlers.put_rules(store, FakeCategories(BILLING, GENERAL), rules, "ada", NOW)

    assert refused.value.problems() == [
        {
            "type": "unknown_department",
            "loc": ["body", 1, "then", "department"],
            "msg": "unknown department 'nowhere': no category routes to it",
        }
    ]
    assert store.saved is None
