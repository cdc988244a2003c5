"""A row's marks kept in memory say what the row itself would: news or not, in any order."""

import asyncio
from itertools import permutations

from reporting_builders import T0, assigned, at, created, notified, queued, resolved

from reporting.adapters.row_marks import RowMarks, guard_passes
from reporting.domain.changes import TicketChange, apply_change, marks_after, marks_of
from reporting.domain.projection import ticket_change


def changes() -> list[TicketChange]:
    events = [
        created(when=T0, category="billing"),
        notified(when=at(2)),
        queued(when=at(5)),
        assigned(when=at(65), department="finance"),
        resolved(when=at(3600), agent_id="A-1"),
    ]
    return [ticket_change(event, event.payload()) for event in events]


def test_marks_follow_the_row_in_every_order_with_repeats():
    for order in permutations(changes()):
        row, marks = None, marks_of(None)
        for change in [*order, order[0], order[-1]]:
            row, news = apply_change(row, change)
            if change.state is not None or change.once is not None:
                assert guard_passes(marks, change) == news
            marks = marks_after(marks, change)
            assert marks == marks_of(row)


def test_a_change_with_neither_state_nor_key_passes_while_its_sequence_is_above_the_mark():
    change = TicketChange("T-1", "intake", 3, facts={"merged_into": "T-2"})
    assert guard_passes(marks_of(None), change)
    assert guard_passes({"streams": {"intake": {"sequence": 2}}}, change)
    assert not guard_passes({"streams": {"intake": {"sequence": 3}}}, change)


def test_the_least_recently_used_row_is_forgotten_first():
    marks = RowMarks(kept=2)
    marks.learn("T-1", {})
    marks.learn("T-2", {})
    assert marks.get("T-1") == {}
    marks.learn("T-3", {})
    assert (marks.get("T-1"), marks.get("T-2"), marks.get("T-3")) == ({}, None, {})


async def test_changes_of_one_row_take_turns_and_leave_nothing_behind():
    marks, inside, most = RowMarks(), 0, 0

    async def change() -> None:
        nonlocal inside, most
        async with marks.one_at_a_time("T-1"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(change() for _ in range(5)))
    assert most == 1
    assert not marks._busy
