"""The skill index chooses the agent the plain ranking puts first, over random pools."""

import random

import pytest

from routing.domain import Agent, SkillIndex, SkillRequirement, rank_agents
from ticketflow_shared.events import Presence

SKILLS = [f"skill_{n}" for n in range(6)]


def random_agents(rng: random.Random, count: int) -> list[Agent]:
    agents = []
    for n in range(count):
        capacity = rng.randint(0, 4)
        agent = Agent(
            agent_id=f"agt_{rng.randrange(10**6):06d}_{n}",
            name=f"Agent {n}",
            department="support",
            skills={s: rng.randint(1, 4) for s in rng.sample(SKILLS, rng.randint(0, 3))},
            capacity=capacity,
            presence=rng.choice(list(Presence)),
        )
        agent.held = {slot: f"TF-{n}-{slot}" for slot in range(rng.randint(0, capacity))}
        agents.append(agent)
    return agents


@pytest.mark.parametrize("seed", range(40))
def test_the_index_chooses_the_agent_ranked_first(seed: int) -> None:
    rng = random.Random(seed)
    agents = random_agents(rng, rng.randint(0, 60))
    index = SkillIndex(agents)
    for _ in range(30):
        requirement = SkillRequirement(rng.choice([*SKILLS, "unknown"]), rng.randint(0, 5))
        ranked = rank_agents(agents, requirement)
        assert index.best(requirement) is (ranked[0] if ranked else None)
        if agents and rng.random() < 0.3:  # tickets taken and released change who is free
            agent = rng.choice(agents)
            agent.held = {} if agent.held else {0: "TF-x"}


def test_the_index_reads_presence_at_each_choice() -> None:
    best = Agent(
        agent_id="a",
        name="A",
        department="d",
        skills={"s": 5},
        capacity=2,
        presence=Presence.available,
    )
    other = Agent(
        agent_id="b",
        name="B",
        department="d",
        skills={"s": 2},
        capacity=2,
        presence=Presence.available,
    )
    index = SkillIndex([best, other])
    assert index.best(SkillRequirement("s", 1)) is best
    best.presence = Presence.away
    assert index.best(SkillRequirement("s", 1)) is other
    assert index.best(SkillRequirement("s", 3)) is None
