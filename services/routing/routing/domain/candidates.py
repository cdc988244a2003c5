"""Candidate evaluation: for one ticket and its needs, the ranked agents, and for every agent
considered why it was passed over or what put it where it stands.

`evaluate` is the plain reference: it keys and sorts every eligible agent. `assign` runs
`selection.select`, which decides the same with less work.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import neg
from types import MappingProxyType
from typing import NamedTuple

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
# Looked up by member, here and in _SHOWN: in the per-agent paths, reading an enum member off
# its class costs more than the comparison it would be for.
_ABSENT = {Presence.away: Reason.away, Presence.offline: Reason.offline}


class Considered(NamedTuple):
    """One agent as the evaluation saw it; a named tuple, the cheapest to make of one per agent."""

    agent_id: str
    reasons: tuple[Reason, ...] = ()
    keys: Mapping[str, object] = MappingProxyType({})

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Evaluation:
    ranked: Sequence[Agent]  # eligible agents, best first
    considered: Sequence[Considered]  # the ranked ones first, in rank order, then the rest

    @property
    def passed(self) -> Sequence[Considered]:
        """The agents passed over, each with its reasons."""
        return self.considered[len(self.ranked) :]

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


def explained(keyed: Sequence[tuple[tuple, Agent]], needs: Needs) -> list[Considered]:
    """The agents ranked first, each with its order keys' values as shown in an explanation
    (from its sort key: a column per order key, as there are up to EXPLAINED of them)."""
    if not needs.order:
        return [Considered(agent.agent_id) for _, agent in keyed]
    order = needs.order
    parts = zip(*(key for key, _ in keyed), strict=True)
    columns = [_shown(key, part) for key, part in zip(order, parts, strict=False)]
    rows = zip(*columns, strict=False)  # zip(strict=True) costs more on short rows
    make = Considered._make  # without the generated __new__'s call per agent
    return [
        make((agent.agent_id, (), dict(zip(order, row, strict=False))))
        for (_, agent), row in zip(keyed, rows, strict=False)
    ]


def _shown(key: OrderKey, part: Iterable[object]) -> list[object]:
    show = _SHOWN.get(key)
    return list(part) if show is None else list(map(show, part))


def _idle_shown(part: str) -> str | None:
    return None if part == FAR_PAST else part


_SHOWN = {OrderKey.level: neg, OrderKey.preferred: neg, OrderKey.idle: _idle_shown}


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
        level = agent.skills.get(need.skill, 0)
        if level == 0:
            reasons.append(Reason.skill_missing)
        elif level < need.min_level:
            reasons.append(Reason.level_too_low)
    if needs.language and language and language not in agent.languages:
        reasons.append(Reason.language)
    absent = _ABSENT.get(agent.presence)
    if absent is not None:
        reasons.append(absent)
    elif not on_shift(agent):
        reasons.append(Reason.off_shift)
    if len(agent.held) >= agent.capacity:
        reasons.append(Reason.at_capacity)
    if agent.agent_id in declined:
        reasons.append(Reason.declined_recently)
    return sorted(set(reasons), key=ORDER.__getitem__) if len(reasons) > 1 else reasons


def screen(
    agents: Iterable[Agent],
    needs: Needs,
    *,
    language: str | None = None,
    on_shift: Callable[[Agent], bool] = lambda agent: True,
    declined: Collection[str] = frozenset(),
    recent: Mapping[str, int] | None = None,
) -> tuple[list[Agent], list[Considered]]:
    """The agents eligible for a ticket with `needs`, in the order given, and those passed over
    with their reasons; `recent`: new tickets per agent this hour.

    The fairness cap passes over an agent at the cap only while another eligible agent is
    idle (holds nothing), so a cap never leaves a ticket waiting that someone could take.
    """
    recent = recent or {}
    eligible: list[Agent] = []
    passed: list[Considered] = []
    required = [(n.skill, n.min_level) for n in needs.required]
    wants_language = needs.language and language
    available = Presence.available  # read once, as the enum members above
    for agent in agents:
        # The common case, checked without building reasons; the levels by a loop in line, as
        # a call per agent (or all() over a generator) would cost a third of the screening.
        if agent.presence is available and len(agent.held) < agent.capacity:
            skills = agent.skills
            for skill, level in required:
                if skills.get(skill, 0) < level:
                    break
            else:
                if (
                    not (wants_language and language not in agent.languages)
                    and agent.agent_id not in declined
                    and on_shift(agent)
                ):
                    eligible.append(agent)
                    continue
        reasons = reasons_against(agent, needs, language, on_shift, declined)
        if reasons:
            passed.append(Considered(agent.agent_id, tuple(reasons)))
        else:
            eligible.append(agent)
    if needs.fairness_cap is not None and recent:  # no new tickets: no one to pass over
        cap = needs.fairness_cap
        capped = [a for a in eligible if recent.get(a.agent_id, 0) >= cap]
        if capped and any(
            a.active_count == 0 and recent.get(a.agent_id, 0) < cap for a in eligible
        ):
            for agent in capped:
                passed.append(Considered(agent.agent_id, (Reason.fairness_cap,)))
            ids = {a.agent_id for a in capped}
            eligible = [a for a in eligible if a.agent_id not in ids]
    return eligible, passed


def evaluate(
    agents: Iterable[Agent],
    needs: Needs,
    *,
    language: str | None = None,
    on_shift: Callable[[Agent], bool] = lambda agent: True,
    declined: Collection[str] = frozenset(),
    recent: Mapping[str, int] | None = None,
) -> Evaluation:
    """Rank `agents` for a ticket with `needs` (see `screen`), every eligible one keyed and
    sorted: the reference `select` is checked against, and the benchmark's baseline."""
    eligible, passed = screen(
        agents, needs, language=language, on_shift=on_shift, declined=declined, recent=recent
    )
    keyed = sorted(((_sort_key(agent, needs), agent) for agent in eligible), key=_first)
    # Only the first few are ever explained in full; the rest keep their rank alone.
    ranked = explained(keyed[:EXPLAINED], needs)
    ranked += [Considered(agent.agent_id) for _, agent in keyed[EXPLAINED:]]
    return Evaluation([agent for _, agent in keyed], ranked + passed)


def _first(pair: tuple) -> tuple:
    return pair[0]
