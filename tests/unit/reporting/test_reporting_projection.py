"""Folding events into a ticket row: order independent, idempotent, never regressing."""

from itertools import permutations

from reporting_builders import T0, assigned, at, created, notified, queued, resolved

from reporting.domain.tickets import TicketRow, apply_change, ticket_change
from ticketflow_shared.events import Envelope, TicketStatus


def fold(*envelopes: Envelope) -> TicketRow:
    state = None
    for envelope in envelopes:
        change = ticket_change(envelope.id, envelope.time, envelope.payload())
        state = apply_change(state, change) or state
    assert state is not None
    return TicketRow.model_validate(state)


def comparable(row: TicketRow) -> dict:
    """A row without the order its events happened to be applied in."""
    fields = row.model_dump()
    fields["applied_events"] = sorted(fields["applied_events"])
    return fields


def lifecycle() -> list[Envelope]:
    return [
        created(when=T0, category="billing"),
        notified(when=at(2)),
        queued(when=at(5)),
        assigned(when=at(65), department="finance"),
        notified(when=at(70)),
        resolved(when=at(3600), agent_id="A-1"),
    ]


def test_a_full_lifecycle_fills_every_field():
    row = fold(*lifecycle())
    assert row.status is TicketStatus.resolved
    assert (row.category, row.priority, row.channel) == ("billing", "normal", "web")
    assert (row.created_at, row.queued_at, row.assigned_at) == (T0, at(5), at(65))
    assert (row.resolved_at, row.resolver) == (at(3600), "A-1")
    assert (row.first_notified_at, row.notifications) == (at(2), 2)
    assert (row.department, row.agent_id) == ("finance", "A-1")


def test_every_arrival_order_gives_the_same_row():
    events = lifecycle()
    expected = comparable(fold(*events))
    for order in permutations(events):
        assert comparable(fold(*order)) == expected


def test_the_same_event_twice_changes_nothing_the_second_time():
    event = notified(when=at(2))
    change = ticket_change(event.id, event.time, event.payload())
    once = apply_change(None, change)
    assert apply_change(once, change) is None
    assert fold(event, event).notifications == 1


def test_status_never_moves_back_when_a_late_event_arrives():
    row = fold(created(when=T0), assigned(when=at(60)), queued(when=at(5)))
    assert row.status is TicketStatus.assigned


def test_first_assignment_time_and_latest_assignee_are_kept_when_reassigned():
    row = fold(
        created(when=T0),
        assigned(when=at(300), agent_id="A-2", agent_name="Bo", department="support"),
        assigned(when=at(60), agent_id="A-1", agent_name="Ada", department="finance"),
    )
    assert row.assigned_at == at(60)
    assert (row.agent_id, row.department) == ("A-2", "support")
    assert len(row.assignments) == 2


def test_a_resolution_without_agent_credits_whoever_held_the_ticket():
    row = fold(created(when=T0), assigned(when=at(60)), resolved(when=at(90)))
    assert row.resolver == "A-1"


def test_a_row_known_only_from_a_later_event_still_has_a_status():
    row = fold(assigned(when=at(60)))
    assert row.status is TicketStatus.assigned
    assert row.created_at is None
    assert row.category is None
