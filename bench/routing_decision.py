"""How long routing's pure domain takes to choose an agent: 10,000 agents, 100 skills.

"Choosing an agent" in `routing.domain` is `rank_agents(agents, requirement)`: it keeps the
agents that can take the ticket now (available, the skill at the level, a free slot) and
sorts them best first (higher skill, fewer active tickets, lower load, id); `assign` tries
the first and falls back to the next only if another claimer won the slot. In the service
the agents come from the store already narrowed by `available_for` (available, the skill at
the level), so two cases are timed: ranking all agents, and ranking only those candidates.
Store reads and the claim insert are not part of this; `bench/pipeline.py` counts those.
`SkillIndex` (agents by skill and level, built once) finds the agent ranked first over all
agents while looking only at the highest levels of the skill; each of its choices is checked
against `rank_agents` outside the timing.
`evaluate` is what `assign` now runs: the candidates under a queue policy, with a reason
for each agent passed over. Run: `.venv/bin/python bench/routing_decision.py`.
"""

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from routing.domain import Agent, SkillIndex, SkillRequirement, rank_agents
from routing.domain.calendars import DAYS, Calendar
from routing.domain.candidates import evaluate
from routing.domain.policies import QueuePolicy
from routing.domain.shifts import ShiftWindows
from ticketflow_shared.events import Presence


def make_agents(count: int, skills: int, rng: random.Random) -> list[Agent]:
    """Agents with 1-5 skills at levels 1-10, capacity 1-6, most of them available and busy."""
    names = [f"skill_{i:03d}" for i in range(skills)]
    presence = [Presence.available] * 8 + [Presence.away, Presence.offline]
    agents = []
    for i in range(count):
        capacity = rng.randint(1, 6)
        agent = Agent(
            agent_id=f"agt_{i:05d}",
            name=f"Agent {i}",
            department=f"dept_{i % 20}",
            skills={skill: rng.randint(1, 10) for skill in rng.sample(names, rng.randint(1, 5))},
            capacity=capacity,
            presence=rng.choice(presence),
        )
        agent.held = {slot: f"TF-{i:05d}{slot}" for slot in range(rng.randint(0, capacity))}
        agents.append(agent)
    return agents


def candidates(agents: list[Agent], requirement: SkillRequirement) -> list[Agent]:
    """What `MongoAgents.available_for` returns: available, with the skill at the level."""
    return [
        agent
        for agent in agents
        if agent.presence is Presence.available
        and agent.capacity > 0
        and agent.level(requirement.skill) >= requirement.min_level
    ]


def time_decisions(pools: list[tuple[list[Agent], SkillRequirement]]) -> tuple[list[float], int]:
    """Microseconds per decision, and how many decisions found nobody."""
    took, nobody = [], 0
    for agents, requirement in pools:
        start = time.perf_counter_ns()
        ranked = rank_agents(agents, requirement)
        chosen = ranked[0] if ranked else None
        took.append((time.perf_counter_ns() - start) / 1000)
        nobody += chosen is None
    return took, nobody


def time_index(
    index: SkillIndex, requirements: list[SkillRequirement]
) -> tuple[list[float], int, int]:
    """Microseconds per choice through the skill index over all agents, how many found
    nobody, and how many differed from `rank_agents`' first (checked outside the timing)."""
    took, nobody, differ = [], 0, 0
    for requirement in requirements:
        start = time.perf_counter_ns()
        chosen = index.best(requirement)
        took.append((time.perf_counter_ns() - start) / 1000)
        nobody += chosen is None
        ranked = rank_agents(index.agents, requirement)
        differ += chosen is not (ranked[0] if ranked else None)
    return took, nobody, differ


def time_evaluations(
    pools: list[tuple[list[Agent], SkillRequirement]], now: datetime
) -> tuple[list[float], int]:
    """The same, through `evaluate` under a queue policy with a preferred skill, a fairness
    cap and shifts (half the agents have one), with the reasons for every agent."""
    took, nobody = [], 0
    windows = ShiftWindows()
    for agents, requirement in pools:
        policy = QueuePolicy(
            "dept_0",
            required=(requirement,),
            preferred=(SkillRequirement("skill_000", 3),),
            fairness_cap=4,
        )
        start = time.perf_counter_ns()
        evaluation = evaluate(
            agents,
            policy.needs(timedelta(seconds=400)),
            on_shift=lambda agent: windows.on_shift(agent, now),
            recent={},
        )
        took.append((time.perf_counter_ns() - start) / 1000)
        nobody += not evaluation.ranked
    return took, nobody


def line(name: str, took: list[float], nobody: int, pool: float) -> str:
    ordered = sorted(took)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"{name:<28} agents/decision {pool:8.0f}  p50 {statistics.median(ordered):8.1f} µs  "
        f"p99 {p99:8.1f} µs  nobody free {nobody}/{len(took)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    agents = make_agents(args.agents, args.skills, rng)
    requirements = [
        SkillRequirement(f"skill_{rng.randrange(args.skills):03d}", rng.randint(1, 5))
        for _ in range(args.decisions)
    ]
    print(
        f"routing decision: rank_agents (routing.domain.assignment), {args.agents} agents, "
        f"{args.skills} skills, {args.decisions} decisions, {datetime.now(UTC):%Y-%m-%d}"
    )
    time_decisions([(agents, r) for r in requirements[:100]])  # warm up
    took, nobody = time_decisions([(agents, r) for r in requirements])
    print(line("all agents", took, nobody, len(agents)))
    built = time.perf_counter()
    index = SkillIndex(agents)
    built = time.perf_counter() - built
    time_index(index, requirements[:100])  # warm up
    took, nobody, differ = time_index(index, requirements)
    print(
        line("all agents, skill index", took, nobody, len(agents))
        + f"  differs from rank {differ}  (index built in {built * 1000:.0f} ms)"
    )
    narrowed = [(candidates(agents, r), r) for r in requirements]
    took, nobody = time_decisions(narrowed)
    print(
        line("store's candidates only", took, nobody, statistics.mean(len(a) for a, _ in narrowed))
    )
    shift = Calendar.weekly("Europe/Berlin", {d: ["08:00-20:00"] for d in DAYS[:5]}, country="DE")
    for agent in agents[::2]:
        agent.shift = shift
    now = datetime(2026, 3, 4, 10, tzinfo=UTC)
    time_evaluations(narrowed[:100], now)  # warm up
    took, nobody = time_evaluations(narrowed, now)
    mean = statistics.mean(len(a) for a, _ in narrowed)
    print(line("evaluate, policy + shifts", took, nobody, mean))


if __name__ == "__main__":
    main()
