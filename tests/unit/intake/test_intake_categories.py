"""Category rules: required fields and default priority."""

import pytest
from intake_fakes import new_ticket

from intake.domain.categories import DEFAULT_CATEGORIES, CategoryRule
from intake.domain.errors import MissingFields
from ticketflow_shared.events import Priority

RULE = CategoryRule("billing", ("order_id", "invoice"), Priority.high, "billing")


def test_every_absent_required_field_is_named_in_rule_order():
    assert RULE.missing_fields({"other": "x"}) == ["order_id", "invoice"]


def test_blank_text_counts_as_missing():
    assert RULE.missing_fields({"order_id": "   ", "invoice": "INV-1"}) == ["order_id"]


@pytest.mark.parametrize("value", [0, False, 0.0, "0"])
def test_falsy_but_real_values_satisfy_a_requirement(value):
    assert RULE.missing_fields({"order_id": value, "invoice": value}) == []


def test_require_fields_raises_naming_category_and_fields():
    with pytest.raises(MissingFields) as raised:
        RULE.require_fields({"invoice": "INV-1"})
    assert raised.value.category == "billing"
    assert raised.value.missing == ["order_id"]


def test_a_rule_without_requirements_accepts_no_fields():
    general = CategoryRule("general")
    assert general.missing_fields({}) == []
    # Ticket.create enforces the rule, so an opened ticket shows the rule was met.
    ticket = new_ticket(general)
    assert (ticket.category, ticket.fields) == ("general", {})


def test_requested_priority_wins_over_the_category_default():
    assert RULE.priority_for(Priority.low) is Priority.low


def test_category_default_priority_applies_when_none_requested():
    assert RULE.priority_for(None) is Priority.high


def test_normal_priority_when_neither_request_nor_category_says():
    assert CategoryRule("general").priority_for(None) is Priority.normal


def test_default_categories_cover_the_usual_four():
    assert {rule.name for rule in DEFAULT_CATEGORIES} == {
        "billing",
        "technical",
        "account",
        "general",
    }
