"""Transfers against handoff checklists, consults, and who may read the ticket after them."""

from datetime import timedelta

import pytest
from intake_fakes import T0, assigned, new_ticket, routing

from intake.domain.categories import CategoryRule
from intake.domain.consults import ConsultAnswered, ConsultingOwner, ConsultNotFound, NotConsulted
from intake.domain.handoffs import (
    AlreadyOwned,
    ChecklistItem,
    HandoffChecklist,
    HandoffIncomplete,
    NotTransferable,
)
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.events import Priority, TicketConsultedV1, TicketTransferredV1

LATER = T0 + timedelta(minutes=10)
# Billing without its required order_id, which these tests do not need.
BILLING_DESK = CategoryRule("billing", (), Priority.high, "billing")
TECHNICAL = HandoffChecklist(
    "technical",
    items=(
        ChecklistItem("repro", "Steps to reproduce"),
        ChecklistItem("logs", "Logs attached"),
        ChecklistItem("called", "Customer called back", required=False),
    ),
    by_category={
        "billing": (
            ChecklistItem("logs", "Logs attached", required=False),
            ChecklistItem("invoice", "Invoice number noted"),
        )
    },
)


def billing_ticket() -> Ticket:
    ticket = new_ticket(BILLING_DESK)
    to_ana = assigned(ticket.id, "ana").model_copy(update={"department": "billing"})
    ticket.apply_assigned(routing(1), to_ana, T0 + timedelta(minutes=1))
    ticket.events.clear()
    return ticket


def transfer(ticket: Ticket, checklist=TECHNICAL, **changes) -> None:
    args = {
        "to_department": "technical",
        "skill": "networking",
        "note": "Customer's router drops the line; billing is fine.",
        "ticked": ["repro", "invoice"],
        "checklist": checklist,
        "actor": "user:ana",
        "now": LATER,
    }
    ticket.transfer(**{**args, **changes})


def refusal(ticket: Ticket, **changes) -> list[list]:
    before = (ticket.version, ticket.department, ticket.assignee, list(ticket.history))
    with pytest.raises(HandoffIncomplete) as raised:
        transfer(ticket, **changes)
    assert (ticket.version, ticket.department, ticket.assignee, ticket.history) == before
    assert ticket.events == []
    return [problem["loc"] for problem in raised.value.problems()]


def test_a_category_replaces_an_item_of_the_same_key_and_adds_its_own():
    keys = {item.key: item.required for item in TECHNICAL.items_for("billing")}
    assert keys == {"repro": True, "logs": False, "called": False, "invoice": True}
    assert {item.key for item in TECHNICAL.items_for("general")} == {"repro", "logs", "called"}


def test_a_transfer_moves_the_ticket_unowned_and_records_ticket_transferred():
    ticket = billing_ticket()

    transfer(ticket)

    assert ticket.department == "technical"
    assert ticket.assignee is None
    assert ticket.status is TicketStatus.open  # the lifecycle status stays as it was
    [event] = ticket.events
    assert isinstance(event, TicketTransferredV1)
    assert (event.from_department, event.to_department, event.skill) == (
        "billing",
        "technical",
        "networking",
    )
    assert (event.from_agent_id, event.actor, event.transferred_at) == ("ana", "user:ana", LATER)
    assert (event.priority, event.category) == (Priority.high, "billing")
    assert event.checklist == ["repro", "invoice"]
    assert ticket.history[-1].event_type == TicketTransferredV1.event_type
    assert ticket.history[-1].note is None  # kept with the chain, not in the history
    assert ticket.ownership.periods[-1].note == "Customer's router drops the line; billing is fine."


def test_a_missing_note_and_each_unticked_required_item_are_named_together():
    ticket = billing_ticket()
    assert refusal(ticket, note="  ", ticked=[]) == [
        ["body", "note"],
        ["body", "checklist", "repro"],
        ["body", "checklist", "invoice"],
    ]


def test_a_key_the_checklist_does_not_have_is_named():
    ticket = billing_ticket()
    assert refusal(ticket, ticked=["repro", "invoice", "coffee"]) == [
        ["body", "checklist", "coffee"]
    ]


def test_without_a_checklist_only_the_note_is_needed():
    ticket = billing_ticket()
    assert refusal(ticket, checklist=None, note="", ticked=[]) == [["body", "note"]]
    transfer(ticket, checklist=None, ticked=[])
    assert ticket.department == "technical"


def test_transferring_to_the_owner_is_a_conflict_and_a_solved_ticket_is_not_transferred():
    ticket = billing_ticket()
    with pytest.raises(AlreadyOwned):
        transfer(ticket, to_department="billing")
    ticket.resolve(None, LATER)
    with pytest.raises(NotTransferable):
        transfer(ticket)


def test_past_owners_keep_read_access():
    ticket = billing_ticket()
    transfer(ticket)
    assert ticket.departments == {"billing", "technical"}


def test_a_consult_is_asked_and_answered_with_ownership_staying_put():
    ticket = billing_ticket()

    asked = ticket.consult(
        consult_id="C-1",
        department="accounts",
        question="Is the account verified?",
        actor="user:ana",
        now=LATER,
    )
    assert ticket.departments == {"billing", "accounts"}
    with pytest.raises(NotConsulted):
        ticket.answer_consult(
            "C-1", answer="no", actor="user:ben", answerer=frozenset({"billing"}), now=LATER
        )
    answered = ticket.answer_consult(
        "C-1",
        answer="Yes, since May.",
        actor="user:eva",
        answerer=frozenset({"accounts"}),
        now=LATER + timedelta(minutes=1),
    )

    assert (asked.status, answered.status, answered.answer) == (
        "open",
        "answered",
        "Yes, since May.",
    )
    assert (ticket.department, ticket.assignee.agent_id) == ("billing", "ana")
    opened, closed = ticket.events
    assert isinstance(opened, TicketConsultedV1) and isinstance(closed, TicketConsultedV1)
    assert (opened.status, opened.department, opened.question) == (
        "open",
        "accounts",
        "Is the account verified?",
    )
    assert (closed.status, closed.answer, closed.actor) == (
        "answered",
        "Yes, since May.",
        "user:eva",
    )
    # Answered, the department keeps read access for the record.
    assert "accounts" in ticket.departments


def test_consult_refusals():
    ticket = billing_ticket()
    with pytest.raises(ConsultingOwner):
        ticket.consult(consult_id="C-1", department="billing", question="?", actor="a", now=LATER)
    with pytest.raises(ConsultNotFound):
        ticket.answer_consult("C-9", answer="x", actor="a", answerer=None, now=LATER)
    ticket.consult(consult_id="C-1", department="accounts", question="?", actor="a", now=LATER)
    ticket.answer_consult("C-1", answer="x", actor="a", answerer=None, now=LATER)
    with pytest.raises(ConsultAnswered):
        ticket.answer_consult("C-1", answer="y", actor="a", answerer=None, now=LATER)
