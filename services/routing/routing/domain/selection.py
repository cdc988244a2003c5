"""Choosing the agent for a ticket: what `candidates.evaluate` decides, with less work.

The screening is `evaluate`'s own. Of the eligible agents only the explained head (the
first EXPLAINED) is put in order up front: the first order key is worked out for all of
them, the full sort keys only for those it leaves in the running, each key a column at a
time with the needs read once; more than SORT_ALL_UP_TO of those give up their head through
`heapq.nsmallest` rather than a sort. The rest are keyed and sorted the first time a
claimer falls back past the head, and get a `Considered` only if one is read.
"""

import heapq
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import ge, itemgetter

from routing.domain.agents import Agent
from routing.domain.candidates import (
    EXPLAINED,
    FAR_PAST,
    Considered,
    Evaluation,
    explained,
    screen,
)
from routing.domain.policies import Needs, OrderKey

SORT_ALL_UP_TO = 8 * EXPLAINED
"""Agents up to which one sort of them all costs less than picking out the head."""
Keyed = tuple[tuple, Agent]
_key = itemgetter(0)


def select(
    agents: Iterable[Agent],
    needs: Needs,
    *,
    language: str | None = None,
    on_shift: Callable[[Agent], bool] = lambda agent: True,
    declined: Collection[str] = frozenset(),
    recent: Mapping[str, int] | None = None,
) -> Evaluation:
    """The same evaluation as `evaluate`'s, with the ranking done only as far as it is read."""
    eligible, passed = screen(
        agents, needs, language=language, on_shift=on_shift, declined=declined, recent=recent
    )
    ranking = Ranking(eligible, needs)
    head = explained(ranking.head, needs)
    return Evaluation(ranking, ConsideredInOrder(ranking, head, passed))


class Ranking(Sequence[Agent]):
    """Eligible agents best first: the explained head found up front, the rest put in order
    the first time one of them is read."""

    def __init__(self, agents: list[Agent], needs: Needs) -> None:
        self._agents, self._needs = agents, needs
        self._ordered: list[Agent] | None = None
        self.head = _head(agents, needs)

    def __len__(self) -> int:
        return len(self._agents)

    def __getitem__(self, index: int | slice) -> "Agent | list[Agent]":
        if isinstance(index, int) and 0 <= index < len(self.head):
            return self.head[index][1]
        return self.ordered()[index]

    def __iter__(self) -> Iterator[Agent]:
        for _, agent in self.head:
            yield agent
        yield from self.ordered()[len(self.head) :]

    def ordered(self) -> list[Agent]:
        """All of them in rank order, keyed and sorted now if they were not yet."""
        if self._ordered is None:
            if len(self.head) == len(self._agents):
                self._ordered = [agent for _, agent in self.head]
            else:
                keyed = zip(order_keys(self._agents, self._needs), self._agents, strict=True)
                self._ordered = [agent for _, agent in sorted(keyed, key=_key)]
        return self._ordered


def _head(agents: list[Agent], needs: Needs) -> list[Keyed]:
    """The first EXPLAINED agents in rank order, with their sort keys. Only those whose first
    order key is as good as the EXPLAINED-th best are keyed in full: the others cannot rank
    that high."""
    running = agents
    if needs.order and len(agents) > EXPLAINED:
        first = _COLUMNS[needs.order[0]](agents, needs)
        bar = sorted(first)[EXPLAINED - 1]
        running = [agent for agent, value in zip(agents, first, strict=True) if value <= bar]
    keyed = list(zip(order_keys(running, needs), running, strict=True))
    if len(keyed) > SORT_ALL_UP_TO:  # like sorted(...)[:EXPLAINED], ties in the order given
        return heapq.nsmallest(EXPLAINED, keyed, key=_key)
    return sorted(keyed, key=_key)[:EXPLAINED]


class ConsideredInOrder(Sequence[Considered]):
    """`Evaluation.considered` over a `Ranking`: the explained head, the other ranked agents
    (by id alone, as `evaluate` keeps them), then the agents passed over."""

    def __init__(self, ranking: Ranking, head: list[Considered], passed: list[Considered]) -> None:
        self.ranking, self.head, self.passed = ranking, head, passed

    def __len__(self) -> int:
        return len(self.ranking) + len(self.passed)

    def __getitem__(self, index: int | slice) -> "Considered | list[Considered]":
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        position = range(len(self))[index]  # negative indexes and IndexError as in a list
        if position < len(self.head):
            return self.head[position]
        ranked = len(self.ranking)
        if position < ranked:
            return Considered(self.ranking[position].agent_id)
        return self.passed[position - ranked]


def order_keys(agents: list[Agent], needs: Needs) -> list[tuple]:
    """Each agent's sort key in `evaluate`'s ranking: the order keys' values, then load and
    id; worked out one order key at a time over all the agents."""
    columns = [_COLUMNS[key](agents, needs) for key in needs.order]
    columns.append([agent.load for agent in agents])
    columns.append([agent.agent_id for agent in agents])
    return list(zip(*columns, strict=True))


def _level(agents: list[Agent], needs: Needs) -> list[int]:
    """Minus the sum of the agent's levels in the required skills: the highest first."""
    names = [need.skill for need in needs.required]
    if len(names) == 1:
        [name] = names
        return [-agent.skills.get(name, 0) for agent in agents]
    return [-sum(map(agent.skills.get, names, repeat(0))) for agent in agents]


def _preferred(agents: list[Agent], needs: Needs) -> list[int]:
    """Minus how many preferred skills the agent has at their level: the most first."""
    if not needs.preferred:
        return [0] * len(agents)
    names = [need.skill for need in needs.preferred]
    levels = [need.min_level for need in needs.preferred]
    return [-sum(map(ge, map(agent.skills.get, names, repeat(0)), levels)) for agent in agents]


def _load(agents: list[Agent], needs: Needs) -> list[int]:
    return [len(agent.held) for agent in agents]


def _idle(agents: list[Agent], needs: Needs) -> list[str]:
    """When the agent last got a ticket, as text: the longest idle first."""
    return [
        agent.last_assigned_at.isoformat() if agent.last_assigned_at else FAR_PAST
        for agent in agents
    ]


_COLUMNS: dict[OrderKey, Callable[[list[Agent], Needs], list]] = {
    OrderKey.level: _level,
    OrderKey.preferred: _preferred,
    OrderKey.load: _load,
    OrderKey.idle: _idle,
}
