"""The lifecycle state machine: every (from, to) pair, allowed or refused, and what each
transition records."""

from datetime import timedelta

import pytest
from intake_fakes import T0, assigned, new_ticket, routing

from intake.domain.errors import IllegalTransition, TooManyChanges
from intake.domain.lifecycle import LIFECYCLE, MAX_STATUS_CHANGES
from intake.domain.ticket import Ticket
from ticketflow_shared.events import TicketResolvedV1, TicketStatus, TicketStatusChangedV1

S = TicketStatus
LATER = T0 + timedelta(minutes=5)
# Written out rather than read from the module, so that a change to the table shows here.
ALLOWED = {
    (S.new, S.open),
    (S.new, S.solved),
    (S.open, S.pending),
    (S.open, S.on_hold),
    (S.open, S.solved),
    (S.pending, S.open),
    (S.pending, S.on_hold),
    (S.pending, S.solved),
    (S.on_hold, S.open),
    (S.on_hold, S.pending),
    (S.on_hold, S.solved),
    (S.solved, S.open),
    (S.solved, S.closed),
}
PAIRS = [(before, after) for before in LIFECYCLE for after in LIFECYCLE]


def ticket_in(status: TicketStatus) -> Ticket:
    ticket = new_ticket()
    ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-7"), T0)
    ticket.status = status
    if status in (S.solved, S.closed):
        ticket.resolved_at = T0
    ticket.events.clear()
    return ticket


def test_the_lifecycle_has_the_six_agreed_statuses_and_never_queued():
    assert set(LIFECYCLE) == {S.new, S.open, S.pending, S.on_hold, S.solved, S.closed}


@pytest.mark.parametrize(("before", "after"), [p for p in PAIRS if p in ALLOWED])
def test_an_allowed_transition_records_who_why_when_and_the_owners(before, after):
    ticket = ticket_in(before)
    version = ticket.version

    ticket.change_status(after, actor="user:ana", reason="because", now=LATER)

    assert ticket.status is after
    changed = ticket.events[0]
    assert isinstance(changed, TicketStatusChangedV1)
    assert (changed.status, changed.previous) == (after, before)
    assert (changed.actor, changed.reason, changed.changed_at) == ("user:ana", "because", LATER)
    assert (changed.agent_id, changed.department) == ("agent-7", ticket.department)
    assert changed.reopened is (before is S.solved and after is S.open)
    assert ticket.version == version + len(ticket.events)
    assert (ticket.history[-1].status, ticket.history[-1].actor) == (after, "user:ana")


@pytest.mark.parametrize(("before", "after"), [p for p in PAIRS if p not in ALLOWED])
def test_a_refused_transition_names_the_current_state_and_changes_nothing(before, after):
    ticket = ticket_in(before)
    version, history = ticket.version, list(ticket.history)

    with pytest.raises(IllegalTransition) as refused:
        ticket.change_status(after, actor="user:ana", reason=None, now=LATER)

    assert f"is {before.value}" in str(refused.value)
    assert refused.value.status == 409
    assert (ticket.status, ticket.version, ticket.history, ticket.events) == (
        before,
        version,
        history,
        [],
    )


def test_solving_also_records_ticket_resolved_one_version_each():
    ticket = ticket_in(S.open)
    version = ticket.version

    ticket.change_status(S.solved, actor="user:ana", reason="refunded", now=LATER)

    changed, resolved = ticket.events
    assert isinstance(changed, TicketStatusChangedV1)
    assert isinstance(resolved, TicketResolvedV1)
    assert (resolved.agent_id, resolved.resolution, resolved.resolved_at) == (
        "agent-7",
        "refunded",
        LATER,
    )
    assert ticket.version == version + 2
    assert (ticket.resolution, ticket.resolved_at) == ("refunded", LATER)


def test_reopening_counts_and_clears_the_solve_time():
    ticket = ticket_in(S.open)
    ticket.change_status(S.solved, actor="user:ana", reason=None, now=LATER)

    ticket.change_status(S.open, actor="user:ana", reason="not fixed", now=LATER)

    assert (ticket.reopen_count, ticket.resolved_at) == (1, None)
    assert ticket.events[-1].reopened is True


def test_routing_assigning_a_new_ticket_opens_it_as_system():
    ticket = new_ticket()

    assert ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-7"), LATER)

    [changed] = ticket.events
    assert isinstance(changed, TicketStatusChangedV1)
    assert (changed.previous, changed.status, changed.actor) == (S.new, S.open, "system")
    assert changed.agent_id == "agent-7"
    assert ticket.version == 2


@pytest.mark.parametrize("status", [S.pending, S.on_hold])
def test_routing_assigning_a_waiting_ticket_keeps_its_status_and_records_no_change(status):
    ticket = ticket_in(status)

    assert ticket.apply_assigned(routing(2), assigned(ticket.id, "agent-8"), LATER)

    assert ticket.status is status
    assert ticket.assignee is not None
    assert ticket.assignee.agent_id == "agent-8"
    assert ticket.events == []


def test_the_automatic_close_takes_only_tickets_solved_by_the_cutoff():
    ticket = ticket_in(S.open)
    ticket.change_status(S.solved, actor="user:ana", reason=None, now=LATER)
    ticket.events.clear()

    assert not ticket.close_if_solved_by(LATER - timedelta(seconds=1), LATER)
    assert ticket.close_if_solved_by(LATER, LATER + timedelta(days=4))

    [changed] = ticket.events
    assert (changed.status, changed.actor, changed.reason) == (S.closed, "system", "auto-close")
    assert ticket.closed_at == LATER + timedelta(days=4)
    assert not ticket.close_if_solved_by(LATER, LATER + timedelta(days=5))


@pytest.mark.parametrize("status", [S.new, S.open, S.pending, S.on_hold])
def test_the_automatic_close_leaves_unsolved_tickets(status):
    ticket = ticket_in(status)
    ticket.resolved_at = T0  # a stale mark must not close it
    assert not ticket.close_if_solved_by(LATER, LATER)
    assert ticket.status is status


def test_the_status_changes_one_ticket_keeps_are_bounded():
    ticket = ticket_in(S.open)
    for n in range(MAX_STATUS_CHANGES):
        ticket.change_status(
            S.pending if n % 2 == 0 else S.open, actor="user:a", reason=None, now=LATER
        )
    version = ticket.version

    with pytest.raises(TooManyChanges) as refused:
        ticket.change_status(S.on_hold, actor="user:a", reason=None, now=LATER)

    assert refused.value.status == 409
    assert (ticket.status, ticket.version) == (S.open, version)
