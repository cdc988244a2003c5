"""Which merges are refused, and what merging and splitting record on the source ticket."""

import pytest
from intake_fakes import T0, new_ticket

from intake.domain.links import MergeLink, MergeRefused, check_merge, same_customer
from ticketflow_shared.events import Customer, TicketMergedV1, TicketSplitV1, TicketStatus


def test_only_the_same_customers_open_tickets_merge() -> None:
    source, target = new_ticket(ticket_id="TF-A"), new_ticket(ticket_id="TF-B")
    check_merge(source, target, None)
    other = new_ticket(ticket_id="TF-C")
    other.customer = Customer(email="bob@example.com")
    assert not same_customer(source, other)
    with pytest.raises(MergeRefused, match="another customer's"):
        check_merge(source, other, None)
    with pytest.raises(MergeRefused, match="itself"):
        check_merge(source, source, None)
    target.close_as_merged("TF-Z", actor="user:ana", now=T0)
    with pytest.raises(MergeRefused, match="TF-B is closed"):
        check_merge(source, target, None)


def test_a_merge_done_before_is_accepted_again_only_for_its_target() -> None:
    source, target = new_ticket(ticket_id="TF-A"), new_ticket(ticket_id="TF-B")
    source.close_as_merged("TF-B", actor="user:ana", now=T0)
    done = MergeLink("TF-A", "TF-B", "user:ana", T0)
    check_merge(source, target, done)
    with pytest.raises(MergeRefused, match="merged into TF-B"):
        check_merge(source, new_ticket(ticket_id="TF-C"), done)


def test_closing_as_merged_and_noting_a_split_record_once() -> None:
    ticket = new_ticket(ticket_id="TF-A")
    assert ticket.close_as_merged("TF-B", actor="user:ana", now=T0)
    assert not ticket.close_as_merged("TF-B", actor="user:ana", now=T0)
    assert ticket.status is TicketStatus.closed
    merged = [e for e in ticket.events if isinstance(e, TicketMergedV1)]
    assert [(e.ticket_id, e.into) for e in merged] == [("TF-A", "TF-B")]

    other = new_ticket(ticket_id="TF-D")
    assert other.note_split("M-1", "TF-E", actor="user:ana", now=T0)
    assert not other.note_split("M-1", "TF-E", actor="user:ana", now=T0)
    [split] = [e for e in other.events if isinstance(e, TicketSplitV1)]
    assert (split.message_id, split.new_ticket_id) == ("M-1", "TF-E")
