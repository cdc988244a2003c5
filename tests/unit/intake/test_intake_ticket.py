"""The Ticket aggregate: creation, lifecycle, and routing's events applied in routing's order."""

from datetime import timedelta

import pytest
from intake_fakes import BILLING, T0, assigned, new_ticket, queued, routing

from intake.domain.errors import IllegalTransition, MissingFields
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.events import (
    Channel,
    Customer,
    Position,
    Priority,
    TicketCreatedV1,
    TicketResolvedV1,
)

LATER = T0 + timedelta(minutes=5)


def create(**overrides) -> Ticket:
    args = {
        "ticket_id": "TF-TEST00000001",
        "channel": Channel.chat,
        "customer": Customer(email="ada@example.com", name="Ada"),
        "subject": "Charged twice",
        "body": "Order 42 was charged twice.",
        "rule": BILLING,
        "fields": {"order_id": "42"},
        "priority": None,
        "now": T0,
    }
    return Ticket.create(**{**args, **overrides})


def test_create_opens_a_new_ticket_and_records_ticket_created():
    ticket = create()

    assert ticket.status is TicketStatus.new
    assert ticket.priority is Priority.high  # billing's default
    assert [entry.event_type for entry in ticket.history] == ["ticket.created.v1"]
    [event] = ticket.events
    assert isinstance(event, TicketCreatedV1)
    assert event.ticket_id == ticket.id
    assert event.category == "billing"
    assert event.priority is Priority.high
    assert event.fields == {"order_id": "42"}
    assert event.created_at == T0


def test_create_keeps_an_explicit_priority():
    assert create(priority=Priority.low).priority is Priority.low


def test_create_refuses_a_ticket_missing_required_fields():
    with pytest.raises(MissingFields) as raised:
        create(fields={})
    assert raised.value.missing == ["order_id"]


def test_create_is_version_one_and_resolving_raises_it():
    ticket = create()
    assert ticket.version == 1

    ticket.apply_queued(routing(1), queued(ticket.id), LATER)
    ticket.resolve(None, LATER)

    # Queued 2; the solve records a status change (3) and ticket.resolved (4).
    assert ticket.version == 4


def test_queued_then_assigned_then_resolved():
    ticket = new_ticket()

    assert ticket.apply_queued(routing(1), queued(ticket.id), LATER)
    assert ticket.status is TicketStatus.new
    assert ticket.apply_assigned(routing(2), assigned(ticket.id, "agent-7"), LATER)
    assert ticket.status is TicketStatus.open
    assert ticket.assignee is not None
    assert (ticket.assignee.agent_id, ticket.assignee.department) == ("agent-7", "support")
    ticket.resolve("refunded", LATER)

    assert ticket.status is TicketStatus.solved
    assert [entry.status for entry in ticket.history] == [
        TicketStatus.new,
        TicketStatus.new,
        TicketStatus.open,
        TicketStatus.solved,
    ]
    assert ticket.updated_at == LATER
    assert ticket.sequences == {"routing": 2}


def test_resolve_records_ticket_resolved_with_the_assigned_agent():
    ticket = new_ticket()
    ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-7"), T0)

    ticket.events.clear()
    ticket.resolve("refunded", LATER)

    [_, event] = ticket.events
    assert isinstance(event, TicketResolvedV1)
    assert (event.agent_id, event.resolution, event.resolved_at) == ("agent-7", "refunded", LATER)


def test_resolve_without_an_assignee_records_no_agent():
    ticket = new_ticket()
    ticket.resolve(None, LATER)
    assert ticket.events[-1].agent_id is None


def test_resolving_twice_is_refused():
    ticket = new_ticket()
    ticket.resolve(None, LATER)
    with pytest.raises(IllegalTransition):
        ticket.resolve("again", LATER)


def test_a_late_queued_event_is_ignored_and_leaves_the_ticket_assigned():
    ticket = new_ticket()
    ticket.apply_assigned(routing(2), assigned(ticket.id), LATER)
    version, history = ticket.version, list(ticket.history)

    assert not ticket.apply_queued(routing(1), queued(ticket.id), LATER + timedelta(minutes=1))

    assert ticket.status is TicketStatus.open
    assert (ticket.version, ticket.history) == (version, history)


def test_a_newer_queued_event_takes_the_ticket_back_from_its_agent():
    ticket = new_ticket()
    ticket.apply_queued(routing(1), queued(ticket.id), LATER)
    ticket.apply_assigned(routing(2), assigned(ticket.id), LATER)

    assert ticket.apply_queued(routing(3), queued(ticket.id), LATER)

    # Routing waits for an agent again; for intake the ticket stays open, but unowned.
    assert ticket.status is TicketStatus.open
    assert ticket.assignee is None


def test_routing_events_after_resolution_are_noted_but_leave_it_resolved_and_unassigned():
    ticket = new_ticket()
    ticket.resolve(None, LATER)

    assert ticket.apply_queued(routing(1), queued(ticket.id), LATER)
    assert ticket.apply_assigned(routing(2), assigned(ticket.id), LATER)

    assert ticket.status is TicketStatus.solved
    assert ticket.assignee is None
    assert [entry.status for entry in ticket.history[-2:]] == [TicketStatus.solved] * 2


def test_the_assignment_with_the_highest_sequence_wins_whatever_its_time_says():
    ticket = new_ticket()
    ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-1", at=LATER), LATER)
    ticket.apply_assigned(routing(3), assigned(ticket.id, "agent-3", at=T0), LATER)
    ticket.apply_assigned(routing(2), assigned(ticket.id, "agent-2", at=LATER), LATER)

    assert ticket.assignee is not None
    assert ticket.assignee.agent_id == "agent-3"


def test_a_redelivered_event_changes_nothing():
    ticket = new_ticket()
    assert ticket.apply_assigned(routing(1, "e1"), assigned(ticket.id), LATER)
    version, history = ticket.version, list(ticket.history)

    again = LATER + timedelta(hours=1)
    assert not ticket.apply_assigned(routing(1, "e1"), assigned(ticket.id), again)
    # The same sequence under another id (a producer writing its event twice) is a repeat too.
    assert not ticket.apply_assigned(routing(1, "e1-copy"), assigned(ticket.id), again)

    assert (ticket.version, ticket.history, ticket.updated_at) == (version, history, LATER)
    assert ticket.sequences == {"routing": 1}


def test_marks_are_kept_per_producer():
    ticket = new_ticket()
    other = Position("x-5", "elsewhere", 5)

    assert ticket.apply_queued(other, queued(ticket.id), LATER)
    assert ticket.apply_assigned(routing(1), assigned(ticket.id), LATER)

    assert ticket.sequences == {"elsewhere": 5, "routing": 1}


def test_events_from_before_sequences_apply_until_a_sequenced_one_has():
    ticket = new_ticket()

    assert ticket.apply_queued(routing(None, "old-1"), queued(ticket.id), LATER)
    assert ticket.apply_assigned(routing(None, "old-2"), assigned(ticket.id), LATER)
    assert ticket.status is TicketStatus.open
    assert ticket.apply_assigned(routing(1), assigned(ticket.id, "agent-9"), LATER)

    assert not ticket.apply_queued(routing(None, "old-3"), queued(ticket.id), LATER)
    assert ticket.status is TicketStatus.open
