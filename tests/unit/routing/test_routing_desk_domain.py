"""The desk's pure rules: what a status change does to a slot, departments' settings, why an
agent cannot take a ticket, and queued tickets staying in their department."""

from datetime import UTC, datetime

import pytest

from routing.domain import (
    Agent,
    DepartmentSettings,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    SlotChange,
    next_ticket_for,
    slot_change,
    transfer_requirement,
    why_cannot_take,
)
from ticketflow_shared.events import Presence, Priority, TicketStatus

T0 = datetime(2025, 1, 1, tzinfo=UTC)
KEEPS = DepartmentSettings.default("billing")
RELEASES_PENDING = DepartmentSettings.of("billing", [TicketStatus.pending])


def agent(department: str = "billing", **fields) -> Agent:
    profile = {"skills": {"billing": 5}, "capacity": 1, "presence": Presence.available, **fields}
    return Agent(agent_id="ana", name="Ana", department=department, **profile)


def ticket(ticket_id: str = "t1", department: str | None = "billing", **fields) -> RoutingTicket:
    requirement = fields.pop("requirement", SkillRequirement("billing"))
    return RoutingTicket(
        ticket_id, "billing", Priority.normal, T0, requirement, department=department, **fields
    )


@pytest.mark.parametrize(
    ("status", "settings", "parked", "expected"),
    [
        (TicketStatus.solved, None, False, SlotChange.release),
        (TicketStatus.closed, None, True, SlotChange.release),
        (TicketStatus.pending, KEEPS, False, SlotChange.keep),
        (TicketStatus.on_hold, KEEPS, False, SlotChange.keep),
        (TicketStatus.pending, RELEASES_PENDING, False, SlotChange.release),
        (TicketStatus.on_hold, RELEASES_PENDING, False, SlotChange.keep),
        (TicketStatus.open, None, True, SlotChange.reclaim),
        (TicketStatus.open, None, False, SlotChange.keep),
        (TicketStatus.new, None, False, SlotChange.keep),
    ],
)
def test_what_a_status_change_does_to_the_slot(status, settings, parked, expected):
    assert slot_change(status, settings, parked=parked, routed=True) is expected


def test_an_open_ticket_whose_routing_never_finished_is_routed_again():
    assert slot_change(TicketStatus.open, None, parked=False, routed=False) is SlotChange.reclaim


def test_only_waiting_statuses_may_release_capacity():
    with pytest.raises(ValueError, match="solved"):
        DepartmentSettings.of("billing", [TicketStatus.solved])
    settings = DepartmentSettings.of("billing", ["on_hold"])
    assert settings.releases(TicketStatus.on_hold) and not settings.releases(TicketStatus.pending)
    assert KEEPS.releases(TicketStatus.closed) and KEEPS.is_default


def test_a_transfer_needs_the_named_skill_else_the_categorys():
    rule = RoutingRule("billing", "billing", min_level=4)
    assert transfer_requirement(rule, None) == SkillRequirement("billing", 4)
    assert transfer_requirement(rule, "Billing") == SkillRequirement("billing", 4)
    assert transfer_requirement(rule, "Tier 2") == SkillRequirement("tier_2", 1)


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (agent(department="technical"), "department 'technical', the ticket in 'billing'"),
        (agent(skills={"billing": 2}), "'billing' at level 2, the ticket needs 3"),
        (agent(presence=Presence.away), "is away"),
        (agent(held={0: "other"}), "no free slot (1/1)"),
    ],
)
def test_why_an_agent_cannot_take_a_ticket_is_named(who, why):
    needs_three = ticket(requirement=SkillRequirement("billing", 3))
    assert why in (why_cannot_take(who, needs_three) or "")
    assert why_cannot_take(agent(skills={"billing": 3}), needs_three) is None


def test_a_ticket_without_a_department_may_go_to_anyone():
    assert why_cannot_take(agent(department="technical"), ticket(department=None)) is None


def test_a_freed_agent_takes_queued_tickets_of_its_department_or_of_none():
    other = ticket("t0", department="technical")
    unowned = ticket("t2", department=None)
    own = ticket("t3")
    assert next_ticket_for(agent(), [other]) is None
    assert next_ticket_for(agent(), [other, unowned, own]) == unowned
    assert next_ticket_for(agent(), [other, own]) == own
