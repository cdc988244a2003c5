"""A ticket's priority and tags: changed by an agent or a macro, each change one event."""

import pytest
from intake_fakes import T0, new_ticket

from intake.domain.tags import MAX_TAGS, InvalidTags, checked_tags, retagged
from ticketflow_shared.events import Priority, TicketUpdatedV1


def test_changing_priority_and_tags_records_one_updated_event():
    ticket = new_ticket()
    version = ticket.version

    changed = ticket.change_priority_tags(
        priority=Priority.urgent, tags=["VIP", "refund", "vip"], actor="user:ana", now=T0
    )

    assert changed
    assert (ticket.priority, ticket.tags) == (Priority.urgent, ["vip", "refund"])
    assert ticket.version == version + 1
    assert ticket.events == [
        TicketUpdatedV1(
            ticket_id=ticket.id,
            priority=Priority.urgent,
            tags=["vip", "refund"],
            actor="user:ana",
            updated_at=T0,
        )
    ]
    assert ticket.history[-1].event_type == TicketUpdatedV1.event_type


def test_a_change_to_one_keeps_the_other():
    ticket = new_ticket()
    ticket.change_priority_tags(tags=["vip"], actor="user:ana", now=T0)
    ticket.change_priority_tags(priority=Priority.high, actor="user:ana", now=T0)

    assert (ticket.priority, ticket.tags) == (Priority.high, ["vip"])
    assert [event.tags for event in ticket.events] == [["vip"], ["vip"]]


def test_a_change_to_what_is_already_there_records_nothing():
    ticket = new_ticket()
    ticket.change_priority_tags(tags=["vip"], actor="user:ana", now=T0)
    ticket.events.clear()
    version = ticket.version

    assert not ticket.change_priority_tags(
        priority=ticket.priority, tags=["vip"], actor="user:ana", now=T0
    )
    assert (ticket.events, ticket.version) == ([], version)


@pytest.mark.parametrize("tags", [["has space"], ["-leading"], ["x" * 41], [""]])
def test_a_bad_tag_is_refused(tags):
    with pytest.raises(InvalidTags):
        checked_tags(tags)


def test_a_ticket_keeps_at_most_so_many_tags():
    many = [f"t{n}" for n in range(MAX_TAGS)]
    assert checked_tags(many) == many
    with pytest.raises(InvalidTags, match=f"at most {MAX_TAGS}"):
        retagged(many, ["one-more"], [])


def test_retagging_adds_at_the_end_and_removes():
    assert retagged(["a", "b", "c"], ["d", "a"], ["b"]) == ["a", "c", "d"]
