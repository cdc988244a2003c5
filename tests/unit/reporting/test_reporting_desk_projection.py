"""The agent's desk in the ticket row: status changes back and forth, the conversation,
handoffs, priority changes and consults, in any arrival order."""

import random
from datetime import timedelta

from reporting_builders import (
    CLOSED,
    NEW,
    ON_HOLD,
    OPEN,
    PENDING,
    SOLVED,
    T0,
    assigned,
    at,
    consulted,
    created,
    fold,
    message,
    queued,
    resolved,
    status_changed,
    transferred,
    updated,
)

from reporting.domain.changes import apply_change
from reporting.domain.projection import ticket_change
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import AuthorKind, Envelope, Priority, TicketStatus, Visibility


def desk_story() -> list[Envelope]:
    """Billing's ticket: answered, set pending, answered by the customer, handed to support,
    solved, reopened by the customer, solved again and closed. Intake's sequences 1-15."""
    return [
        created(when=T0, department="finance"),
        queued(when=at(5), sequence=1),
        assigned(when=at(60), sequence=2),
        status_changed(when=at(60), sequence=2, status=OPEN, previous=NEW),
        message(when=at(300), sequence=3),
        status_changed(when=at(400), sequence=4, status=PENDING, previous=OPEN),
        message(when=at(1000), sequence=5, kind=AuthorKind.customer),
        status_changed(when=at(1000), sequence=6, status=OPEN, previous=PENDING),
        message(when=at(1100), sequence=7, visibility=Visibility.internal),
        transferred(when=at(1200), sequence=8, to="support", priority=Priority.high),
        assigned(when=at(1300), sequence=4, agent_id="A-2", agent_name="Bo", department="support"),
        status_changed(
            when=at(3600),
            sequence=9,
            status=SOLVED,
            previous=OPEN,
            agent_id="A-2",
            department="support",
        ),
        resolved(when=at(3600), sequence=10, agent_id="A-2"),
        message(when=at(5000), sequence=11, kind=AuthorKind.customer),
        status_changed(
            when=at(5000),
            sequence=12,
            status=OPEN,
            previous=SOLVED,
            reopened=True,
            agent_id="A-2",
            department="support",
        ),
        status_changed(
            when=at(6000),
            sequence=13,
            status=SOLVED,
            previous=OPEN,
            agent_id="A-2",
            department="support",
        ),
        resolved(when=at(6000), sequence=14, agent_id="A-2"),
        status_changed(
            when=at(6000 + 4 * 86400),
            sequence=15,
            status=CLOSED,
            previous=SOLVED,
            agent_id="A-2",
            department="support",
        ),
    ]


def comparable(row: TicketRow) -> dict:
    dump = row.model_dump(exclude={"events_applied"})
    for name in ("transitions", "messages", "transfers", "priorities", "consults", "assignments"):
        dump[name] = sorted(dump[name], key=repr)
    return dump


def test_the_whole_desk_story_fills_the_row():
    row = fold(*desk_story())
    assert (row.status, row.closed_at, row.reopens) == (CLOSED, at(6000 + 4 * 86400), 1)
    assert (row.resolved_at, row.last_solved_at, row.finished_at) == (at(3600), at(6000), at(6000))
    assert row.resolver == "A-2"
    reply = row.first_response
    assert reply is not None and (reply.at, reply.agent_id) == (at(300), "A-1")
    thread = row.thread
    assert sum(m.is_from_customer for m in thread) == 2
    assert (sum(m.is_public_reply for m in thread), sum(m.is_internal_note for m in thread)) == (
        1,
        1,
    )
    assert [(t.from_department, t.to_department) for t in row.handoffs] == [("finance", "support")]
    assert row.owning_department == "support"
    assert row.time_by_department == {"finance": 1200.0, "support": 4800.0}
    assert row.time_in_status == {
        "new": 60.0,
        "open": 340.0 + 2600.0 + 1000.0,
        "pending": 600.0,
        "solved": 1400.0 + 4 * 86400,
    }
    assert (row.current_priority, row.priority_changes) == ("high", 1)
    assert row.departments == {"finance", "support"}


def test_every_arrival_order_gives_the_same_row():
    events = desk_story()
    expected = comparable(fold(*events))
    shuffler = random.Random(5)
    for _ in range(200):
        shuffler.shuffle(events)
        assert comparable(fold(*events)) == expected


def test_a_ticket_goes_back_and_forth_and_a_late_change_never_rewinds_it():
    first_pending = status_changed(when=at(400), sequence=4, status=PENDING, previous=OPEN)
    row = fold(
        created(when=T0),
        status_changed(when=at(60), sequence=2, status=OPEN, previous=NEW),
        status_changed(when=at(1000), sequence=6, status=OPEN, previous=PENDING),
        first_pending,
        first_pending.model_copy(update={"id": "redelivered"}),
    )
    assert row.status is OPEN
    assert row.status_since == at(1000)
    assert row.time_in_status == {"new": 60.0, "open": 340.0, "pending": 600.0}
    assert len(row.transitions) == 3
    assert row.events_applied == 3  # created, and the two changes that came in order


def test_pending_and_on_hold_are_intakes_word_whatever_routing_says():
    row = fold(
        created(when=T0),
        assigned(when=at(60)),
        status_changed(when=at(60), sequence=2, status=OPEN, previous=NEW),
        status_changed(when=at(90), sequence=3, status=ON_HOLD, previous=OPEN),
        queued(when=at(100), sequence=3),  # the agent let it go while it waited
    )
    assert (row.status, row.status_since, row.agent_id) == (ON_HOLD, at(90), None)


def test_while_new_or_open_routing_says_whether_it_is_held_or_queued():
    row = fold(created(when=T0), queued(when=at(5)))
    assert (row.status, row.status_since) == (TicketStatus.queued, at(5))
    row = fold(created(when=T0), queued(when=at(5)), assigned(when=at(60)))
    assert (row.status, row.status_since) == (OPEN, at(60))


def test_a_reopened_ticket_is_worked_on_again_until_solved_again():
    story = [
        created(when=T0),
        assigned(when=at(60)),
        status_changed(when=at(60), sequence=2, status=OPEN, previous=NEW),
        status_changed(when=at(600), sequence=3, status=SOLVED, previous=OPEN),
        resolved(when=at(600), sequence=4, agent_id="A-1"),
        status_changed(when=at(900), sequence=5, status=OPEN, previous=SOLVED, reopened=True),
    ]
    row = fold(*story)
    assert (row.status, row.reopens, row.resolver, row.finished_at) == (OPEN, 1, None, None)
    assert row.resolved_at == at(600)

    row = fold(*story, status_changed(when=at(1500), sequence=6, status=SOLVED, previous=OPEN))
    assert (row.status, row.reopens, row.finished_at, row.resolved_at) == (
        SOLVED,
        1,
        at(1500),
        at(600),
    )


def test_only_the_first_public_reply_by_an_agent_is_the_first_response():
    row = fold(
        created(when=T0),
        message(when=at(10), sequence=2, kind=AuthorKind.customer),
        message(when=at(20), sequence=3, kind=AuthorKind.system),
        message(when=at(30), sequence=4, visibility=Visibility.internal),
        message(when=at(500), sequence=6, agent_id="A-2"),
        message(when=at(400), sequence=5, agent_id="A-1"),
    )
    reply = row.first_response
    assert reply is not None and (reply.at, reply.agent_id) == (at(400), "A-1")
    assert len(row.thread) == 5


def test_a_message_taken_twice_counts_once():
    reply = message(when=at(30), sequence=2)
    change = ticket_change(reply, reply.payload())
    once, news = apply_change(None, change)
    assert news
    assert apply_change(once, change) == (once, False)
    copy = reply.model_copy(update={"id": "another-id"})
    row = fold(created(), reply, copy)
    assert (len(row.thread), row.events_applied) == (1, 2)


def test_a_repeated_status_change_stored_in_milliseconds_is_the_same_fact():
    change_at = T0 + timedelta(microseconds=123_456)
    event = status_changed(when=change_at, sequence=2, status=OPEN, previous=NEW)
    change = ticket_change(event, event.payload())
    assert change.members["transitions"]["at"] == T0 + timedelta(microseconds=123_000)
    state, _ = apply_change(None, change)
    state, news = apply_change(state, change)
    assert not news
    assert len(state["transitions"]) == 1


def test_handoffs_split_the_time_between_departments():
    row = fold(
        created(when=T0, department="finance"),
        transferred(when=at(100), sequence=3, source="finance", to="support"),
        transferred(when=at(400), sequence=5, source="support", to="finance"),
        status_changed(when=at(1000), sequence=6, status=SOLVED, previous=OPEN),
    )
    assert len(row.handoffs) == 2
    assert [(p.name, p.seconds) for p in row.ownership] == [
        ("finance", 100.0),
        ("support", 300.0),
        ("finance", 600.0),
    ]
    assert row.time_by_department == {"finance": 700.0, "support": 300.0}


def test_the_current_owners_time_runs_on_and_is_not_counted_yet():
    row = fold(
        created(when=T0, department="finance"),
        transferred(when=at(100), sequence=2, to="support"),
    )
    assert (row.owning_department, row.ownership[-1].end) == ("support", None)
    assert row.time_by_department == {"finance": 100.0}
    assert "support" in row.departments


def test_the_newest_priority_wins_and_a_late_creation_does_not_reset_it():
    row = fold(
        updated(when=at(50), sequence=3, priority=Priority.low),
        updated(when=at(10), sequence=2, priority=Priority.urgent),
        created(when=T0, priority=Priority.normal),
    )
    assert (row.current_priority, row.priority, row.priority_changes) == ("low", "normal", 2)


def test_consults_count_once_each_whether_asked_or_answered():
    row = fold(
        created(when=T0),
        consulted(when=at(10), sequence=2, consult_id="C-1"),
        consulted(when=at(50), sequence=3, consult_id="C-1", answered=True),
        consulted(when=at(60), sequence=4, consult_id="C-2"),
    )
    assert row.consulted == {"C-1": {"open", "answered"}, "C-2": {"open"}}
    assert row.departments == {"legal"}  # the consulted department reads the ticket too


def test_a_closed_ticket_keeps_who_solved_it():
    row = fold(
        created(when=T0),
        assigned(when=at(60)),
        status_changed(when=at(600), sequence=3, status=SOLVED, previous=OPEN),
        status_changed(
            when=at(9000),
            sequence=4,
            status=CLOSED,
            previous=SOLVED,
            agent_id=None,
            department=None,
        ),
    )
    assert (row.status, row.resolver, row.closed_at, row.finished_at) == (
        CLOSED,
        "A-1",
        at(9000),
        at(600),
    )
    assert "closed" not in row.time_in_status


def test_a_copy_from_a_merged_ticket_is_not_counted_again():
    reply = message(when=at(30), sequence=2)
    payload = reply.payload().model_copy(update={"joined": "merge", "message_id": "M-copy"})
    copy = reply.model_copy(update={"id": "merge-copy", "data": payload.model_dump(mode="json")})
    row = fold(created(), reply, copy)
    assert len(row.thread) == 1
