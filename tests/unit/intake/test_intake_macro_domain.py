"""Macros as data: what a macro may be, what it applies to, and what a preview shows."""

import pytest
from intake_fakes import BILLING, GENERAL, new_ticket

from intake.domain.macro_templates import TemplateInvalid
from intake.domain.macros import (
    Macro,
    MacroDoesNotApply,
    MacroInvalid,
    MacroReply,
    preview_macro,
    render_macro,
)
from intake.domain.tags import InvalidTags
from ticketflow_shared.events import Priority, TicketStatus, Visibility

ASK_FOR_ORDER = Macro(
    id="ask-order",
    title="Ask for the order number",
    department="billing",
    categories=("billing",),
    reply=MacroReply("Hello {{ customer.name or 'there' }}, which order? {{ agent.name }}"),
    set_status=TicketStatus.pending,
    set_priority=Priority.high,
    add_tags=("waiting",),
    remove_tags=("new-customer",),
)


def billing_ticket():
    ticket = new_ticket()
    ticket.category, ticket.department = "billing", "billing"
    ticket.tags = ["new-customer", "vip"]
    return ticket


def test_a_macro_applies_to_its_department_and_categories():
    assert ASK_FOR_ORDER.applies_to(category="billing", department="billing")
    assert ASK_FOR_ORDER.applies_to()
    assert not ASK_FOR_ORDER.applies_to(category="technical")
    assert not ASK_FOR_ORDER.applies_to(department="technical")
    everyone = Macro(id="thanks", title="Thanks", set_status=TicketStatus.solved)
    assert everyone.applies_to(category="technical", department="technical")


@pytest.mark.parametrize(
    ("macro", "error", "named"),
    [
        (Macro(id="m", title="Nothing"), MacroInvalid, "must do something"),
        (
            Macro(id="m", title="T", set_status=TicketStatus.closed),
            MacroInvalid,
            "set_status must be one of",
        ),
        (
            Macro(id="m", title="T", add_tags=("a",), remove_tags=("a",)),
            MacroInvalid,
            "both added and removed: a",
        ),
        (Macro(id="m", title="T", add_tags=("Not a tag",)), InvalidTags, "must match"),
        (Macro(id="m", title="T", reply=MacroReply("{{ ticket.nope }}")), TemplateInvalid, "nope"),
    ],
)
def test_a_macro_is_checked_before_it_is_saved(macro, error, named):
    with pytest.raises(error, match=named):
        macro.check()


def test_a_preview_shows_the_reply_and_what_the_ticket_would_become_and_changes_nothing():
    ticket = billing_ticket()
    before = (ticket.status, ticket.priority, list(ticket.tags), ticket.version)

    rendered = render_macro(ASK_FOR_ORDER, ticket, "ana", "Ana Lopez")
    preview = preview_macro(ticket, ASK_FOR_ORDER, rendered)

    assert rendered is not None
    assert (rendered.body, rendered.visibility) == (
        "Hello there, which order? Ana Lopez",
        Visibility.public,
    )
    assert preview.status is TicketStatus.pending
    assert preview.priority is Priority.high
    assert preview.tags == ["vip", "waiting"]
    assert (ticket.status, ticket.priority, ticket.tags, ticket.version) == before
    assert ticket.events == []


def test_a_macro_without_a_reply_or_changes_previews_the_ticket_as_it_is():
    ticket = new_ticket(GENERAL)
    macro = Macro(id="tag", title="Tag it", add_tags=("vip",))

    preview = preview_macro(ticket, macro, render_macro(macro, ticket, "ana", "Ana"))

    assert preview.reply is None
    assert (preview.status, preview.priority, preview.tags) == (
        ticket.status,
        ticket.priority,
        ["vip"],
    )


def test_a_macro_for_another_department_does_not_render_for_the_ticket():
    ticket = new_ticket(BILLING.__class__("technical", (), None, "technical"))
    with pytest.raises(MacroDoesNotApply, match="not for technical tickets of technical"):
        render_macro(ASK_FOR_ORDER, ticket, "carla", "Carla")
