"""Pure routing model and rules: no I/O."""

from routing.domain.agents import PROFILE_FIELDS, Agent, AgentCannotTake, Assignment
from routing.domain.assignment import next_ticket_for, rank_agents
from routing.domain.tickets import (
    QueueEntry,
    Resolution,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    TicketStatus,
    category_key,
    queue_order,
    skill_name,
)

__all__ = [
    "PROFILE_FIELDS",
    "Agent",
    "AgentCannotTake",
    "Assignment",
    "QueueEntry",
    "Resolution",
    "RoutingRule",
    "RoutingTicket",
    "SkillRequirement",
    "TicketStatus",
    "category_key",
    "next_ticket_for",
    "queue_order",
    "rank_agents",
    "skill_name",
]
