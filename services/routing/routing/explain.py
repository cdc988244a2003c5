"""Which policy and needs apply to a ticket now, and the decision document that explains a
routing decision (`GET /tickets/{id}/routing`)."""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from routing.domain import Agent, RoutingTicket
from routing.domain.candidates import Evaluation
from routing.domain.policies import Needs, QueuePolicy
from routing.ports import Stores

MAX_STORED = 50
"""Candidates kept in a decision document; the rest are counted by reason."""
QUEUED = "queued: nobody eligible"


@dataclass(frozen=True)
class Plan:
    policy: QueuePolicy
    from_rule: bool  # no policy: the category's routing rule
    needs: Needs
    queued_at: datetime | None
    department: str | None  # where it is routed: its own, or where a step overflowed it

    def effective(self, ticket: RoutingTicket) -> RoutingTicket:
        """The ticket as a claim sees it: needing the first required skill at its level now."""
        return replace(ticket, requirement=self.needs.required[0])


async def plan_for(
    ticket: RoutingTicket,
    stores: Stores,
    now: datetime,
    *,
    queued_at: datetime | None = None,
    look_up: bool = True,
) -> Plan:
    """The ticket's policy (or its rule's) with the steps due for its time in the queue.

    `look_up`: read that time from the queue; False when the caller knows it already
    (`queued_at`, None for a ticket not queued).
    """
    policy = None
    if stores.policies is not None:
        policy = await stores.policies.for_ticket(ticket.department, ticket.category)
    if look_up:
        entry = await stores.queue.get(ticket.ticket_id)
        queued_at = entry.queued_at if entry else None
    if policy is None:
        fallback = QueuePolicy.fallback(ticket.department, ticket.requirement)
        return Plan(fallback, True, fallback.needs(timedelta()), queued_at, ticket.department)
    waited = now - queued_at if queued_at else timedelta()
    needs = policy.needs(waited)
    return Plan(policy, False, needs, queued_at, needs.overflow_to or ticket.department)


def decision(
    ticket: RoutingTicket,
    plan: Plan,
    evaluation: Evaluation,
    chosen: Agent | None,
    now: datetime,
) -> dict[str, Any]:
    """One decision as stored: policy, effective needs, steps, candidates, the choice."""
    needs, policy = plan.needs, plan.policy
    considered = evaluation.considered
    # Only the agents passed over have reasons, and the winner is among the ranked agents the
    # claim tried: neither reads further down the ranking, which `select` sorts only if read.
    counts = Counter(reason.value for c in evaluation.passed for reason in c.reasons)
    counts["eligible"] = len(evaluation.ranked)
    winner = None
    if chosen is not None:
        winner = next((c for c in considered if c.agent_id == chosen.agent_id), None)
    return {
        "ticket_id": ticket.ticket_id,
        "decided_at": now,
        "policy": None if plan.from_rule else policy.key,
        "policy_version": None if plan.from_rule else policy.version,
        "rule": {"category": ticket.category} if plan.from_rule else None,
        "department": plan.department,
        "queued_at": plan.queued_at,
        "requirements": {
            "required": {n.skill: n.min_level for n in needs.required},
            "preferred": {n.skill: n.min_level for n in needs.preferred},
            "language": ticket.language if needs.language else None,
            "order": [key.value for key in needs.order],
            "fairness_cap": needs.fairness_cap,
        },
        "steps_applied": [
            {
                "step": index,
                "after_seconds": policy.steps[index].after_seconds,
                "at": plan.queued_at + timedelta(seconds=policy.steps[index].after_seconds)
                if plan.queued_at
                else now,
            }
            for index in needs.steps
        ],
        "candidates": [
            {"agent_id": c.agent_id, "reasons": [r.value for r in c.reasons], "keys": dict(c.keys)}
            for c in considered[:MAX_STORED]
        ],
        "considered": len(considered),
        "counts": dict(counts),
        "chosen": {"agent_id": winner.agent_id, "keys": dict(winner.keys)} if winner else None,
        "outcome": f"assigned to {chosen.agent_id}" if chosen else QUEUED,
    }


@dataclass(frozen=True)
class Look:
    """One look for an agent: the plan it followed and what it found, at `now`."""

    plan: Plan
    evaluation: Evaluation
    now: datetime

    def missed(self, ticket: RoutingTicket, queued_at: datetime) -> dict[str, Any]:
        """The decision document of this look finding nobody, for a ticket then queued."""
        plan = replace(self.plan, queued_at=queued_at)
        return decision(ticket, plan, self.evaluation, None, self.now)


async def record(stores: Stores, ticket: RoutingTicket, document: dict[str, Any]) -> None:
    if stores.decisions is not None:
        await stores.decisions.put(ticket.ticket_id, document)
