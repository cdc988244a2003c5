"""What a status change means for a ticket's slot, and why an agent cannot take a ticket."""

from enum import StrEnum

from routing.domain.agents import Agent
from routing.domain.departments import FINISHED, DepartmentSettings
from routing.domain.tickets import (
    MIN_LEVEL,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    skill_name,
)
from ticketflow_shared.events import Presence, TicketStatus


class SlotChange(StrEnum):
    release = "release"  # free the slot and keep the ticket out of the queue
    reclaim = "reclaim"  # wants an agent again: its last one if it can, else the queue
    keep = "keep"  # nothing to do for routing


def slot_change(
    status: TicketStatus, settings: DepartmentSettings | None, *, parked: bool, routed: bool
) -> SlotChange:
    """What entering `status` does to a ticket that is `parked` (released by routing) or not.

    `settings` are the department's, needed only for pending and on_hold.
    """
    if status in FINISHED:
        return SlotChange.release
    if status in (TicketStatus.pending, TicketStatus.on_hold):
        if settings is not None and settings.releases(status):
            return SlotChange.release
        return SlotChange.keep
    if status is TicketStatus.open and (parked or not routed):
        return SlotChange.reclaim
    return SlotChange.keep


def transfer_requirement(rule: RoutingRule, skill: str | None) -> SkillRequirement:
    """The skill a transferred ticket needs: the one named, else the category's rule."""
    name = skill_name(skill) if skill else ""
    if not name or name == rule.skill:
        return rule.requirement
    return SkillRequirement(name, MIN_LEVEL)


def why_cannot_take(agent: Agent, ticket: RoutingTicket) -> str | None:
    """Why `agent` may not take `ticket` now, in words; None if it may."""
    if ticket.department is not None and agent.department != ticket.department:
        return (
            f"agent {agent.agent_id} is in department {agent.department!r}, "
            f"the ticket in {ticket.department!r}"
        )
    requirement = ticket.requirement
    level = agent.level(requirement.skill)
    if level < requirement.min_level:
        return (
            f"agent {agent.agent_id} has {requirement.skill!r} at level {level}, "
            f"the ticket needs {requirement.min_level}"
        )
    if agent.presence is not Presence.available:
        return f"agent {agent.agent_id} is {agent.presence.value}"
    if not agent.has_spare_capacity:
        return f"agent {agent.agent_id} has no free slot ({agent.active_count}/{agent.capacity})"
    return None
