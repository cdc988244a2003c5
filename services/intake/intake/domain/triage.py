"""One triage decision for a new ticket: rules first, then the classifier, then emotion."""

from __future__ import annotations

from dataclasses import dataclass

from intake.domain import emotion as emotion_model
from intake.domain.classifier import LinearModel
from intake.domain.triage_eval import TicketFacts, TriageOutcome, evaluate
from intake.domain.triage_rules import RULES_BUDGET_S, TriageRule
from ticketflow_shared.events import Priority

DEFAULT_THRESHOLD = 0.6
NEEDS_TRIAGE = "needs_triage"


@dataclass
class Triage(TriageOutcome):
    """What triage set on the ticket and why (the rules' outcome, the classifier's proposal,
    the emotion score); stored on the ticket as `triage`."""

    # The rules' own priority, before any emotion raise (`priority` is the final one).
    ruled_priority: Priority | None = None
    proposal: dict | None = None
    emotion: dict | None = None
    escalation_reason: str | None = None


def triage(
    facts: TicketFacts,
    priority: Priority,
    rules: list[TriageRule],
    model: LinearModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    recent_contacts: int = 0,
    rules_budget: float = RULES_BUDGET_S,
) -> Triage:
    """Decide category, priority, department and tags; `priority` is the ticket's current one.
    Past `rules_budget` seconds of evaluating rules, those still needing a regex are skipped."""
    ruled = evaluate(rules, facts, budget=rules_budget)
    out = Triage(
        ruled.category,
        ruled.priority,
        ruled.department,
        list(ruled.tags),
        ruled.fired,
        ruled.skipped,
        ruled_priority=ruled.priority,
    )
    if out.category is None and model is not None:
        category, confidence = model.predict(f"{facts.subject}\n{facts.body}")
        applied = confidence >= threshold
        out.proposal = {
            "category": category,
            "confidence": round(confidence, 4),
            "applied": applied,
        }
        if applied:
            out.category = category
        elif NEEDS_TRIAGE not in out.tags:
            out.tags.append(NEEDS_TRIAGE)
    felt = emotion_model.score(facts.body, recent_contacts)
    out.emotion = {
        "score": felt.score,
        "angry": felt.angry,
        "words": felt.words,
        "crisis_words": felt.crisis_words,
    }
    raised = emotion_model.escalated_priority(out.priority or priority, felt)
    if raised is not None:
        out.priority = raised
        out.escalation_reason = felt.reason()
    return out
