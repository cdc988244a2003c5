"""Pure routing model and rules: no I/O."""

from routing.domain.agents import PROFILE_FIELDS, Agent, AgentCannotTake, Assignment
from routing.domain.assignment import SkillIndex, next_ticket_for, rank_agents
from routing.domain.commands import RegisterAgent, ReviseAgent, SetRule
from routing.domain.departments import DepartmentSettings
from routing.domain.desk import SlotChange, slot_change, transfer_requirement, why_cannot_take
from routing.domain.tickets import (
    QueueEntry,
    Resolution,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    TicketRecord,
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
    "DepartmentSettings",
    "QueueEntry",
    "RegisterAgent",
    "Resolution",
    "ReviseAgent",
    "RoutingRule",
    "RoutingTicket",
    "SetRule",
    "SkillIndex",
    "SkillRequirement",
    "SlotChange",
    "TicketRecord",
    "TicketState",
    "TicketStatus",
    "category_key",
    "next_ticket_for",
    "rank_agents",
    "skill_name",
    "slot_change",
    "transfer_requirement",
    "why_cannot_take",
]
