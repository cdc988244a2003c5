"""Pure routing model and rules: no I/O."""

from routing.domain.agents import PROFILE_FIELDS, Agent, AgentCannotTake, Assignment
from routing.domain.assignment import next_ticket_for, rank_agents
from routing.domain.commands import RegisterAgent, ReviseAgent, SetRule
from routing.domain.tickets import (
    QueueEntry,
    Resolution,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    TicketState,
    TicketStatus,
    category_key,
    skill_name,
)

__all__ = [
    "PROFILE_FIELDS",
    "Agent",
    "AgentCannotTake",
    "Assignment",
    "QueueEntry",
    "RegisterAgent",
    "Resolution",
    "ReviseAgent",
    "RoutingRule",
    "RoutingTicket",
    "SetRule",
    "SkillRequirement",
    "TicketState",
    "TicketStatus",
    "category_key",
    "next_ticket_for",
    "rank_agents",
    "skill_name",
]
