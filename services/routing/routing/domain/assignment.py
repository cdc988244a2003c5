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


class SkillIndex:
    """Agents by skill and level, to choose the best agent for a requirement without ranking
    every agent: the choice is `rank_agents(agents, requirement)[0]`, found by looking only at
    the agents with the skill, highest level first, and stopping at the first level where one
    can take the ticket (rank puts a higher level before anything else).

    Skills are read when the index is built (build it again after they change); presence and
    held tickets are read from the agents at each choice.
    """

    def __init__(self, agents: Iterable[Agent]) -> None:
        self.agents = list(agents)
        by_skill: dict[str, dict[int, list[Agent]]] = {}
        for agent in self.agents:
            for skill, level in agent.skills.items():
                by_skill.setdefault(skill, {}).setdefault(level, []).append(agent)
        self._levels = {
            skill: sorted(levels.items(), key=_level_first, reverse=True)
            for skill, levels in by_skill.items()
        }

    def best(self, requirement: SkillRequirement) -> Agent | None:
        """The agent `rank_agents` would put first, or None when nobody can take it now."""
        if requirement.min_level <= 0:  # agents without the skill qualify too: rank them all
            ranked = rank_agents(self.agents, requirement)
            return ranked[0] if ranked else None
        for level, agents in self._levels.get(requirement.skill, ()):
            if level < requirement.min_level:
                break
            free = [agent for agent in agents if agent.has_spare_capacity]
            if free:
                return min(free, key=lambda agent: agent_rank(agent, requirement))
        return None


def _level_first(item: tuple[int, list[Agent]]) -> int:
    return item[0]


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
