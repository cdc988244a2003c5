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
`select` is what `assign` now runs over the store's candidates: they are screened under a
queue policy (a reason for each agent passed over), and of the eligible only those whose
first order key can put them among the 50 explained are keyed in full (a column at a time)
and put in order; the rest would be only if a claimer fell back past the 50. `evaluate`,
which `assign` ran before, shares the screening but keys each eligible agent on its own and
sorts them all; it is timed in the same run on the same decisions as the baseline,
alternating which goes first, and both must choose the same agent (checked outside the
timing). Run: `.venv/bin/python bench/routing_decision.py`.
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
from routing.domain.selection import select
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


def time_policy_decisions(
    pools: list[tuple[list[Agent], SkillRequirement]], now: datetime
) -> tuple[dict[str, list[float]], int, int]:
    """Microseconds per decision through `select` and through `evaluate` under a queue policy
    with a preferred skill, a fairness cap and shifts (half the agents have one), with the
    new tickets this hour counted as `assign` counts them; how many decisions found nobody,
    and how many chose differently (checked outside the timing)."""
    took: dict[str, list[float]] = {"select": [], "evaluate": []}
    nobody = differ = 0
    windows = ShiftWindows()
    since = now - timedelta(hours=1)
    for turn, (agents, requirement) in enumerate(pools):
        policy = QueuePolicy(
            "dept_0",
            required=(requirement,),
            preferred=(SkillRequirement("skill_000", 3),),
            fairness_cap=4,
        )
        needs = policy.needs(timedelta(seconds=400))
        recent = {agent.agent_id: agent.assigned_since(since) for agent in agents}
        chosen = {}
        ways = [("select", select), ("evaluate", evaluate)]
        for name, decide in ways if turn % 2 else ways[::-1]:
            start = time.perf_counter_ns()
            evaluation = decide(agents, needs, on_shift=windows.at(now), recent=recent)
            took[name].append((time.perf_counter_ns() - start) / 1000)
            chosen[name] = evaluation.chosen
        nobody += chosen["select"] is None
        differ += chosen["select"] != chosen["evaluate"]
    return took, nobody, differ


def percentiles(took: list[float]) -> tuple[float, float]:
    ordered = sorted(took)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def line(name: str, took: list[float], nobody: int, pool: float) -> str:
    p50, p99 = percentiles(took)
    return (
        f"{name:<28} agents/decision {pool:8.0f}  p50 {p50:8.1f} µs  "
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
        f"routing decision: rank_agents, SkillIndex, evaluate, select; {args.agents} agents, "
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
    lately = random.Random(args.seed + 1)  # leaves the agents above as they were
    for agent in agents:
        count = lately.choice((0, 0, 0, 1, 2, 4))  # a sixth of them at the cap of 4
        agent.recent_assignments = tuple(
            now - timedelta(minutes=lately.randint(1, 59)) for _ in range(count)
        )
    time_policy_decisions(narrowed[:100], now)  # warm up
    took, nobody, differ = time_policy_decisions(narrowed, now)
    mean = statistics.mean(len(a) for a, _ in narrowed)
    print(line("evaluate, policy + shifts", took["evaluate"], nobody, mean))
    print(
        line("select, policy + shifts", took["select"], nobody, mean)
        + f"  chose differently {differ}"
    )
    select_p50, select_p99 = percentiles(took["select"])
    evaluate_p50, evaluate_p99 = percentiles(took["evaluate"])
    print(
        f"select against evaluate: p50 {evaluate_p50 / select_p50:.1f}x, "
        f"p99 {evaluate_p99 / select_p99:.1f}x faster"
    )


if __name__ == "__main__":
    main()
