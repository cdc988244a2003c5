"""The assignment rule: which agent gets a ticket, and which queued ticket an agent gets next."""

from collections.abc import Iterable

from routing.domain.agents import Agent
from routing.domain.tickets import RoutingTicket, SkillRequirement


def agent_rank(agent: Agent, requirement: SkillRequirement) -> tuple[int, int, float, str]:
    """Higher skill first, then fewer active tickets, then lower load; the id keeps it stable."""
    return (-agent.level(requirement.skill), agent.active_count, agent.load, agent.agent_id)


def rank_agents(agents: Iterable[Agent], requirement: SkillRequirement) -> list[Agent]:
    """Agents able to take a ticket needing `requirement` now, best first."""
    eligible = [agent for agent in agents if agent.can_take(requirement)]
    return sorted(eligible, key=lambda agent: agent_rank(agent, requirement))


def next_ticket_for(agent: Agent, queued: Iterable[RoutingTicket]) -> RoutingTicket | None:
    """The queued ticket `agent` should take next: first in service order that it can take,
    of its own department or of none, and not one it put back itself."""
    takeable = [
        ticket
        for ticket in queued
        if agent.serves(ticket.department)
        and agent.may_get(ticket)
        and agent.can_take(ticket.requirement)
    ]
    return min(takeable, key=lambda ticket: ticket.queue_key, default=None)


def queue_order(agent: Agent, queued: Iterable[RoutingTicket]) -> list[RoutingTicket]:
    """The queued tickets routing may give `agent` unasked, of its department or of none,
    in service order (skills are for the ticket's policy to judge)."""
    mine = [t for t in queued if agent.serves(t.department) and agent.may_get(t)]
    return sorted(mine, key=lambda ticket: ticket.queue_key)
