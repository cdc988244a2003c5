"""Fields by channel and before solving, declared fields and their checks: pure rules."""

import pytest
from intake_fakes import T0

from intake.domain.categories import CategoryRule
from intake.domain.errors import (
    FieldsNeededToSolve,
    InvalidCategory,
    InvalidFieldValues,
    MissingFields,
)
from intake.domain.form_fields import FieldKind, FieldSpec
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.events import Channel, Customer, TicketUpdatedV1

RETURNS = CategoryRule(
    "returns",
    ("order_id",),
    required_by_channel={"web": ("order_id", "reason"), "email": ()},
    required_before_solve=("refund_ref",),
)
DECLARED = CategoryRule(
    "contact",
    fields=(
        FieldSpec("reply_to", "Reply address", FieldKind.email, 80),
        FieldSpec("note", "Note", FieldKind.text, 5),
        FieldSpec("count", "Count", FieldKind.number),
    ),
)


def opened(rule: CategoryRule, fields: dict, channel: Channel = Channel.web) -> Ticket:
    return Ticket.create(
        ticket_id="TF-TEST00000001",
        channel=channel,
        customer=Customer(email="ada@example.com"),
        subject="Help",
        body="Please help.",
        rule=rule,
        fields=fields,
        priority=None,
        now=T0,
    )


def test_the_channel_adds_its_fields_to_the_general_ones_each_once():
    assert RETURNS.required_for("web") == ("order_id", "reason")
    assert RETURNS.required_for("email") == ("order_id",)
    assert RETURNS.required_for("chat") == ("order_id",)
    assert RETURNS.required_for(None) == ("order_id",)


def test_creation_names_every_missing_field_of_the_general_and_the_channel_list():
    with pytest.raises(MissingFields) as raised:
        opened(RETURNS, {}, Channel.web)
    assert raised.value.missing == ["order_id", "reason"]


def test_another_channel_does_not_need_the_web_list():
    ticket = opened(RETURNS, {"order_id": "42"}, Channel.email)
    assert ticket.required_before_solve == ("refund_ref",)


def test_a_before_solve_field_is_not_needed_to_open_but_to_solve():
    ticket = opened(RETURNS, {"order_id": "42", "reason": "broken"})
    with pytest.raises(FieldsNeededToSolve) as raised:
        ticket.resolve("refunded", T0, "user:agent")
    assert raised.value.names == ["refund_ref"]
    assert ticket.status is TicketStatus.new
    assert raised.value.problems()[0]["loc"] == ["fields", "refund_ref"]


def test_once_filled_the_ticket_solves():
    ticket = opened(RETURNS, {"order_id": "42", "reason": "broken"})
    ticket.events.clear()
    assert ticket.change_fields({"refund_ref": "R-9"}, actor="user:agent", now=T0)
    ticket.resolve("refunded", T0, "user:agent")
    assert ticket.status is TicketStatus.solved
    assert ticket.fields == {"order_id": "42", "reason": "broken", "refund_ref": "R-9"}


def test_a_fields_change_records_only_what_changed_and_nothing_if_nothing_did():
    ticket = opened(RETURNS, {"order_id": "42", "reason": "broken"})
    ticket.events.clear()
    assert not ticket.change_fields({"order_id": "42"}, actor="user:agent", now=T0)
    assert ticket.events == []
    ticket.change_fields({"order_id": "42", "refund_ref": "R-9"}, actor="user:agent", now=T0)
    [event] = ticket.events
    assert isinstance(event, TicketUpdatedV1)
    assert event.fields == {"refund_ref": "R-9"}


def test_a_blank_before_solve_field_still_blocks_the_solve():
    ticket = opened(RETURNS, {"order_id": "42", "reason": "x"})
    ticket.change_fields({"refund_ref": "  "}, actor="user:agent", now=T0)
    with pytest.raises(FieldsNeededToSolve):
        ticket.change_status(TicketStatus.solved, actor="user:a", reason=None, now=T0)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"reply_to": "not an address"}, "reply_to"),
        ({"reply_to": "a@b.example" + "x" * 80}, "reply_to"),
        ({"note": "too long"}, "note"),
        ({"count": "three"}, "count"),
        ({"count": True}, "count"),
        ({"note": 5}, "note"),
    ],
)
def test_values_that_do_not_fit_a_declared_field_are_named(fields, bad):
    with pytest.raises(InvalidFieldValues) as raised:
        opened(DECLARED, fields)
    assert [p["loc"] for p in raised.value.problems()] == [["body", "fields", bad]]


def test_values_that_fit_their_declarations_open_a_ticket():
    fields = {"reply_to": "ada@example.com", "note": "hi", "count": 3}
    assert opened(DECLARED, fields).fields == fields


def test_a_rule_naming_an_undeclared_field_is_refused_with_each_place():
    rule = CategoryRule(
        "contact",
        ("reply_to", "ghost"),
        fields=DECLARED.fields,
        required_by_channel={"web": ("note", "phantom")},
        required_before_solve=("spook",),
    )
    with pytest.raises(InvalidCategory) as raised:
        rule.check()
    assert [p["loc"] for p in raised.value.problems()] == [
        ["body", "required_fields", 1],
        ["body", "required_before_solve", 0],
        ["body", "required_by_channel", "web", 1],
    ]


def test_a_rule_declaring_no_fields_may_require_any():
    RETURNS.check()


def test_a_field_declared_twice_is_refused():
    spec = FieldSpec("note", "Note")
    with pytest.raises(InvalidCategory) as raised:
        CategoryRule("x", fields=(spec, spec)).check()
    assert [p["loc"] for p in raised.value.problems()] == [["body", "fields", 1, "name"]]
