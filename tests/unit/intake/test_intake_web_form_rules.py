"""What the web form shows of a category and which fields it lets a customer send."""

import pytest

from intake.domain.categories import CategoryRule
from intake.domain.errors import UnknownFormFields
from intake.domain.form_fields import FieldKind, FieldSpec
from intake.domain.web_form import check_form_fields, form_category
from ticketflow_shared.events import Priority

RULE = CategoryRule(
    "returns",
    ("order_id",),
    Priority.high,
    "billing",
    label="Returns",
    fields=(
        FieldSpec("order_id", "Order number", max_length=20),
        FieldSpec("note", "Note"),
        FieldSpec("refund_ref", "Refund reference"),
    ),
    required_by_channel={"web": ("photo_url",), "email": ("mailbox",)},
    required_before_solve=("refund_ref",),
)


def test_declared_fields_come_first_then_required_ones_the_rule_does_not_declare():
    # refund_ref is needed before solving, not of the customer: the agents' field.
    form = form_category(RULE)
    assert (form.name, form.label) == ("returns", "Returns")
    assert [(f.name, f.label, f.kind, f.max_length, f.required) for f in form.fields] == [
        ("order_id", "Order number", FieldKind.text, 20, True),
        ("note", "Note", FieldKind.text, 200, False),
        ("photo_url", "photo_url", FieldKind.text, 200, True),
    ]


def test_a_category_without_a_label_shows_its_name():
    assert form_category(CategoryRule("general")).label == "general"


def test_the_form_takes_only_the_fields_it_offers():
    check_form_fields(RULE, {"order_id": "1", "note": "x", "photo_url": "u"})
    with pytest.raises(UnknownFormFields) as raised:
        check_form_fields(RULE, {"order_id": "1", "refund_ref": "R", "mailbox": "m"})
    assert [p["loc"] for p in raised.value.problems()] == [
        ["body", "fields", "refund_ref"],
        ["body", "fields", "mailbox"],
    ]


def test_a_before_solve_field_the_web_requires_is_the_customers():
    rule = CategoryRule(
        "returns",
        fields=(FieldSpec("order_id", "Order number"),),
        required_by_channel={"web": ("order_id",)},
        required_before_solve=("order_id",),
    )
    assert [(f.name, f.required) for f in form_category(rule).fields] == [("order_id", True)]
