"""The combined triage decision: rules, then classifier with threshold, then emotion."""

from datetime import UTC, datetime

from triage_fakes import EXAMPLES

from intake.adapters.classifier_training import fit
from intake.domain.triage import NEEDS_TRIAGE, triage
from intake.domain.triage_eval import TicketFacts
from intake.domain.triage_rules import TriageRule
from ticketflow_shared.events import Priority

MODEL = fit(EXAMPLES)
AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def facts(subject, body="") -> TicketFacts:
    return TicketFacts(channel="web", subject=subject, body=body, at=AT)


def test_a_rule_category_wins_over_the_classifier():
    rule = TriageRule.model_validate(
        {
            "name": "vip",
            "when": {"kind": "contains", "value": "refund"},
            "then": {"category": "technical"},
        }
    )
    out = triage(facts("refund"), Priority.normal, [rule], MODEL)
    assert out.category == "technical" and out.proposal is None


def test_a_confident_proposal_is_applied():
    out = triage(facts("my refund has not arrived"), Priority.normal, [], MODEL, threshold=0.4)
    assert out.category == "billing" and out.proposal["applied"]


def test_an_unsure_proposal_tags_the_ticket_for_a_person():
    out = triage(facts("xyzzy"), Priority.normal, [], MODEL)
    assert out.category is None and NEEDS_TRIAGE in out.tags
    assert out.proposal["applied"] is False


def test_an_angry_body_raises_priority_and_names_why():
    out = triage(facts("hi", "I will sue you, my lawyer is ready"), Priority.normal, [], None)
    assert out.priority == Priority.urgent
    assert "lawyer" in out.escalation_reason
    calm = triage(facts("hi", "thanks a lot"), Priority.normal, [], None)
    assert calm.priority is None and calm.escalation_reason is None
