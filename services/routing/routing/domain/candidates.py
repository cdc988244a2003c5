"""Candidate evaluation: for one ticket and its needs, the ranked agents, and for every agent
considered why it was passed over or what put it where it stands."""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from routing.domain.agents import Agent
from routing.domain.policies import Needs, OrderKey
from ticketflow_shared.events import Presence

FAR_PAST = datetime.min.isoformat()
EXPLAINED = 50  # eligible candidates whose order keys are kept


class Reason(StrEnum):
    """Why an agent was passed over."""

    skill_missing = "skill_missing"
    level_too_low = "level_too_low"
    language = "language"
    at_capacity = "at_capacity"
    away = "away"
    offline = "offline"
    off_shift = "off_shift"
    declined_recently = "declined_recently"
    fairness_cap = "fairness_cap"


ORDER = {reason: index for index, reason in enumerate(Reason)}


@dataclass(frozen=True)
class Considered:
    agent_id: str
    reasons: tuple[Reason, ...] = ()
    keys: Mapping[str, object] = field(default_factory=dict)

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Evaluation:
    ranked: list[Agent]  # eligible agents, best first
    considered: list[Considered]  # the ranked ones first, in rank order, then the rest

    @property
    def chosen(self) -> Considered | None:
        return self.considered[0] if self.ranked else None


def _sort_key(agent: Agent, needs: Needs) -> tuple:
    """The order keys' values as one sortable tuple, best first; load and id break ties."""
    parts: list[object] = []
    for key in needs.order:
        if key is OrderKey.level:
            parts.append(-sum(agent.skills.get(n.skill, 0) for n in needs.required))
        elif key is OrderKey.preferred:
            parts.append(-sum(agent.skills.get(n.skill, 0) >= n.min_level for n in needs.preferred))
        elif key is OrderKey.load:
            parts.append(len(agent.held))
        else:
            parts.append(agent.last_assigned_at.isoformat() if agent.last_assigned_at else FAR_PAST)
    return (*parts, agent.load, agent.agent_id)


def _key_values(sort_key: tuple, needs: Needs) -> dict[str, object]:
    """The order keys' values as shown in an explanation."""
    values: dict[str, object] = {}
    for key, part in zip(needs.order, sort_key, strict=False):
        if key in (OrderKey.level, OrderKey.preferred):
            values[key] = -part  # type: ignore[operator]
        elif key is OrderKey.idle:
            values[key] = None if part == FAR_PAST else part
        else:
            values[key] = part
    return values


def reasons_against(
    agent: Agent,
    needs: Needs,
    language: str | None,
    on_shift: Callable[[Agent], bool],
    declined: Collection[str],
) -> list[Reason]:
    """What keeps `agent` from this ticket, fairness aside (it needs the others)."""
    reasons: list[Reason] = []
    for need in needs.required:
        level = agent.level(need.skill)
        if level == 0:
            reasons.append(Reason.skill_missing)
        elif level < need.min_level:
            reasons.append(Reason.level_too_low)
    if needs.language and language and language not in agent.languages:
        reasons.append(Reason.language)
    if agent.presence is Presence.away:
        reasons.append(Reason.away)
    elif agent.presence is Presence.offline:
        reasons.append(Reason.offline)
    elif not on_shift(agent):
        reasons.append(Reason.off_shift)
    if agent.active_count >= agent.capacity:
        reasons.append(Reason.at_capacity)
    if agent.agent_id in declined:
        reasons.append(Reason.declined_recently)
    return sorted(set(reasons), key=ORDER.__getitem__) if len(reasons) > 1 else reasons


def evaluate(
    agents: Iterable[Agent],
    needs: Needs,
    *,
    language: str | None = None,
    on_shift: Callable[[Agent], bool] = lambda agent: True,
    declined: Collection[str] = frozenset(),
    recent: Mapping[str, int] | None = None,
) -> Evaluation:
    """Rank `agents` for a ticket with `needs`; `recent`: new tickets per agent this hour.

    The fairness cap passes over an agent at the cap only while another eligible agent is
    idle (holds nothing), so a cap never leaves a ticket waiting that someone could take.
    """
    recent = recent or {}
    eligible: list[Agent] = []
    passed: list[Considered] = []
    required = [(n.skill, n.min_level) for n in needs.required]
    wants_language = needs.language and language
    for agent in agents:
        skills = agent.skills
        if (
            agent.presence is Presence.available
            and len(agent.held) < agent.capacity
            and all(skills.get(skill, 0) >= level for skill, level in required)
            and not (wants_language and language not in agent.languages)
            and agent.agent_id not in declined
            and on_shift(agent)
        ):
            eligible.append(agent)  # the common case, checked without building reasons
            continue
        reasons = reasons_against(agent, needs, language, on_shift, declined)
        if reasons:
            passed.append(Considered(agent.agent_id, tuple(reasons)))
        else:
            eligible.append(agent)
    if needs.fairness_cap is not None:
        cap = needs.fairness_cap
        capped = [a for a in eligible if recent.get(a.agent_id, 0) >= cap]
        if any(a.active_count == 0 and recent.get(a.agent_id, 0) < cap for a in eligible):
            for agent in capped:
                passed.append(Considered(agent.agent_id, (Reason.fairness_cap,)))
            ids = {a.agent_id for a in capped}
            eligible = [a for a in eligible if a.agent_id not in ids]
    keyed = sorted(((_sort_key(agent, needs), agent) for agent in eligible), key=_first)
    # Only the first few are ever explained in full; the rest keep their rank alone.
    ranked = [
        Considered(agent.agent_id, (), _key_values(key, needs) if rank < EXPLAINED else {})
        for rank, (key, agent) in enumerate(keyed)
    ]
    return Evaluation([agent for _, agent in keyed], ranked + passed)


def _first(pair: tuple) -> tuple:
    return pair[0]
