"""A category's procedure on a ticket: a copy at creation, ticks, and the check on solving."""

from datetime import timedelta

import pytest
from intake_fakes import T0, new_ticket

from intake.domain.categories import CategoryRule
from intake.domain.desk import work_order
from intake.domain.errors import UndoneSteps, UnknownStep
from intake.domain.procedure import ProcedureStep, Progress, progress
from ticketflow_shared.events import Priority, TicketStatus

LATER = T0 + timedelta(minutes=5)
STEPS = (
    ProcedureStep("verify", "Verify the customer", required=True),
    ProcedureStep("refund", "Refund", required=True, macros=("MC-1",)),
    ProcedureStep("survey", "Offer the survey"),
)
RULE = CategoryRule("billing", department="billing", procedure=STEPS)


def test_a_ticket_takes_a_copy_of_its_categorys_steps():
    ticket = new_ticket(RULE)

    assert [state.step for state in ticket.procedure] == list(STEPS)
    assert not any(state.done for state in ticket.procedure)
    assert progress(ticket.procedure) == Progress(done=0, total=3, required_left=2)


def test_ticking_records_who_and_when_and_a_repeat_changes_nothing():
    ticket = new_ticket(RULE)
    version = ticket.version

    assert ticket.tick_step("verify", actor="user:ana", now=LATER)
    assert not ticket.tick_step("verify", actor="user:ben", now=LATER + timedelta(1))

    state = ticket.procedure[0]
    assert (state.done_by, state.done_at) == ("user:ana", LATER)
    assert ticket.version == version + 1
    assert progress(ticket.procedure).required_left == 1


def test_unticking_clears_the_step():
    ticket = new_ticket(RULE)
    ticket.tick_step("verify", actor="user:ana", now=LATER)

    assert ticket.untick_step("verify", LATER)
    assert not ticket.untick_step("verify", LATER)
    assert not ticket.procedure[0].done


def test_an_unknown_step_is_refused():
    ticket = new_ticket(RULE)
    with pytest.raises(UnknownStep) as refused:
        ticket.tick_step("nope", actor="user:ana", now=LATER)
    assert refused.value.status == 404
    with pytest.raises(UnknownStep):
        ticket.untick_step("nope", LATER)


def test_solving_with_required_steps_undone_names_each_and_changes_nothing():
    ticket = new_ticket(RULE)
    ticket.tick_step("verify", actor="user:ana", now=LATER)
    version = ticket.version

    with pytest.raises(UndoneSteps) as refused:
        ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=LATER)

    assert refused.value.keys == ["refund"]
    assert [p["loc"] for p in refused.value.problems()] == [["procedure", "refund"]]
    assert (ticket.status, ticket.version, ticket.events) == (TicketStatus.new, version, [])


def test_solving_once_the_required_steps_are_done():
    ticket = new_ticket(RULE)
    ticket.tick_step("verify", actor="user:ana", now=LATER)
    ticket.tick_step("refund", actor="user:ana", now=LATER)

    ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=LATER)

    assert ticket.status is TicketStatus.solved


def test_the_desk_puts_the_most_urgent_then_the_oldest_first():
    tickets = []
    for n, (priority, minutes) in enumerate(
        [(Priority.low, 0), (Priority.urgent, 9), (Priority.high, 1), (Priority.urgent, 3)]
    ):
        ticket = new_ticket(ticket_id=f"TF-TEST0000000{n}")
        ticket.priority = priority
        ticket.created_at = T0 + timedelta(minutes=minutes)
        tickets.append(ticket)

    ordered = work_order(tickets)

    assert [t.id for t in ordered] == [
        "TF-TEST00000003",
        "TF-TEST00000001",
        "TF-TEST00000002",
        "TF-TEST00000000",
    ]
