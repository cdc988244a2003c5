"""Folding events into a ticket row: each producer's newest word wins, facts from every event."""

from itertools import permutations

from reporting_builders import T0, assigned, at, created, fold, notified, queued, resolved, wrap

from reporting.domain.changes import TicketChange, apply_change
from reporting.domain.projection import ticket_change
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import Envelope, TicketMergedV1, TicketSplitV1, TicketStatus


def comparable(row: TicketRow) -> dict:
    """A row without what depends on arrival order: how many events arrived in order."""
    return row.model_dump(exclude={"events_applied"})


def lifecycle() -> list[Envelope]:
    return [
        created(when=T0, category="billing"),
        notified(when=at(2)),
        queued(when=at(5)),
        assigned(when=at(65), department="finance"),
        notified(when=at(70)),
        resolved(when=at(3600), agent_id="A-1"),
    ]


def reopened(sequence: int) -> TicketChange:
    """What a future ticket.reopened from intake would contribute: open again, newer."""
    return TicketChange("T-1", "intake", sequence, state={"status": TicketStatus.new.value})


def test_a_full_lifecycle_fills_every_field():
    row = fold(*lifecycle())
    assert row.status is TicketStatus.solved
    assert (row.category, row.priority, row.channel) == ("billing", "normal", "web")
    assert (row.created_at, row.queued_at, row.assigned_at) == (T0, at(5), at(65))
    assert (row.resolved_at, row.resolver) == (at(3600), "A-1")
    assert (row.first_notified_at, row.notifications) == (at(2), 2)
    assert (row.department, row.agent_id) == ("finance", "A-1")
    assert row.events_applied == 6


def test_every_arrival_order_gives_the_same_row():
    events = lifecycle()
    expected = comparable(fold(*events))
    for order in permutations(events):
        assert comparable(fold(*order)) == expected


def test_the_same_event_twice_changes_nothing_the_second_time():
    for event in (notified(when=at(2)), assigned(when=at(60))):
        change = ticket_change(event, event.payload())
        once, news = apply_change(None, change)
        assert news
        assert apply_change(once, change) == (once, False)
    assert fold(notified(when=at(2)), notified(when=at(2))).notifications == 1


def test_a_copy_of_an_event_under_another_id_is_a_repeat_too():
    first = assigned(when=at(60))
    copy = first.model_copy(update={"id": "another-id"})
    assert fold(created(), first, copy).events_applied == 2


def test_a_late_queued_event_leaves_the_ticket_assigned_and_adds_its_time():
    row = fold(created(when=T0), assigned(when=at(60)), queued(when=at(5)))
    assert row.status is TicketStatus.open
    assert row.queued_at == at(5)
    assert row.events_applied == 2


def test_a_late_assignment_never_reopens_a_resolved_ticket():
    row = fold(created(when=T0), queued(when=at(5)), resolved(when=at(90)), assigned(when=at(60)))
    assert row.status is TicketStatus.solved
    assert row.assigned_at == at(60)
    assert row.resolver == "A-1"  # credited to whoever held it, however late that was heard


def test_a_newer_routing_event_may_move_the_status_back():
    row = fold(
        created(when=T0),
        queued(when=at(5), sequence=1),
        assigned(when=at(60), sequence=2),
        queued(when=at(120), sequence=3),  # taken back from the agent into the queue
    )
    assert row.status is TicketStatus.queued
    assert (row.agent_id, row.department) == (None, None)
    assert (row.queued_at, row.assigned_at, len(row.assignments)) == (at(5), at(60), 1)


def test_a_reopen_hands_the_status_back_to_routing_and_a_late_resolve_cannot_close_it():
    first_resolve = resolved(when=at(90), sequence=4)
    state = None
    for envelope in (created(), assigned(when=at(60), agent_id="A-1"), first_resolve):
        state, _ = apply_change(state, ticket_change(envelope, envelope.payload()))
    state, news = apply_change(state, reopened(sequence=5))
    assert news
    assert TicketRow.model_validate(state).status is TicketStatus.open

    again = assigned(when=at(200), agent_id="A-2", agent_name="Bo", sequence=3)
    late = first_resolve.model_copy(update={"id": "redelivered"})
    for envelope in (again, late):
        state, _ = apply_change(state, ticket_change(envelope, envelope.payload()))

    row = TicketRow.model_validate(state)
    assert (row.status, row.agent_id, row.resolver) == (TicketStatus.open, "A-2", None)
    assert row.resolved_at == at(90)  # the first resolution still happened


def test_the_assignment_with_the_highest_sequence_is_current_whatever_the_times():
    row = fold(
        created(when=T0),
        assigned(when=at(60), agent_id="A-2", agent_name="Bo", department="support", sequence=3),
        assigned(when=at(300), agent_id="A-1", agent_name="Ada", department="finance"),
    )
    assert row.assigned_at == at(60)
    assert (row.agent_id, row.department) == ("A-2", "support")
    assert len(row.assignments) == 2


def test_a_resolution_without_agent_credits_whoever_held_the_ticket():
    row = fold(created(when=T0), assigned(when=at(60)), resolved(when=at(90)))
    assert row.resolver == "A-1"


def test_a_row_known_only_from_a_later_event_still_has_a_status():
    row = fold(assigned(when=at(60)))
    assert row.status is TicketStatus.open
    assert row.created_at is None
    assert row.category is None


def test_events_from_before_sequences_apply_as_they_come_but_never_over_a_sequenced_one():
    row = fold(
        created(sequence=None),
        assigned(when=at(60), sequence=None),
        queued(when=at(5), sequence=None),
    )
    assert row.status is TicketStatus.queued  # unordered: the last to arrive wins

    row = fold(created(), assigned(when=at(60)), queued(when=at(5), sequence=None))
    assert row.status is TicketStatus.open
    assert row.queued_at == at(5)


def test_a_row_from_before_sequences_keeps_its_status_until_a_newer_word():
    legacy = {"ticket_id": "T-1", "status_rank": 3, "resolved_by": "A-9", "assignments": []}
    late = assigned(when=at(60))
    state, _ = apply_change(legacy, ticket_change(late, late.payload()))
    row = TicketRow.model_validate(state)
    assert (row.status, row.resolver) == (TicketStatus.solved, "A-9")

    held = {**legacy, "status_rank": 2}
    closing = resolved(when=at(90))
    state, _ = apply_change(held, ticket_change(closing, closing.payload()))
    assert TicketRow.model_validate(state).status is TicketStatus.solved


def test_a_merge_keeps_where_the_thread_went_and_a_split_changes_nothing():
    merged = wrap(
        TicketMergedV1(ticket_id="T-1", into="T-9", actor="user:ann", merged_at=at(90)),
        "intake",
        "T-1",
        3,
    )
    split = wrap(
        TicketSplitV1(
            ticket_id="T-1",
            message_id="M-1",
            new_ticket_id="T-2",
            actor="user:ann",
            split_at=at(80),
        ),
        "intake",
        "T-1",
        2,
    )
    before = fold(created(when=T0, category="billing"), queued(when=at(5)))
    after = fold(created(when=T0, category="billing"), queued(when=at(5)), split, merged)
    assert after.merged_into == "T-9"
    # Only where the thread went changed (and when the row last heard of the ticket).
    changed = {k for k in comparable(after) if comparable(after)[k] != comparable(before)[k]}
    assert changed == {"merged_into", "last_event_at"}
