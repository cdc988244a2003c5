"""Triage at ticket creation: the stored rules, then the classifier, then the customer's
emotion, decide what the client left open; the ticket records what fired and why.

Precisely: the client's category is kept when it gives one (REST, CRM); with none (REST or
CRM without `category`, every email and chat ticket) triage's category is taken if that
category exists and the ticket has its required fields, else the channel's category
(`fallback_category`, `TICKETFLOW_TRIAGE_DEFAULT_CATEGORY` for REST and CRM). The client's
priority wins over a rule's, a rule's over the category's default; emotion only ever raises
it. A rule's department replaces the category's; its tags are added.
"""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from intake.domain import emotion
from intake.domain.categories import CategoryRule
from intake.domain.commands import CreateTicket
from intake.domain.errors import UnknownCategory
from intake.domain.knowledge import KnowledgeIndex
from intake.domain.self_service import SelfServiceLinks
from intake.domain.tags import MAX_TAGS, checked_tags
from intake.domain.triage import NEEDS_TRIAGE, Triage, triage
from intake.domain.triage_config import TriageConfig
from intake.domain.triage_eval import TicketFacts
from intake.domain.triage_rules import RULES_BUDGET_S
from intake.ports import CategoryRepository
from ticketflow_shared.events import ArticleSuggestion, Priority

DEFAULT_CATEGORY = "general"


def triager_of(state: object) -> "Triager | None":
    """The app's triager; None on an app built without one (some unit tests)."""
    return getattr(state, "triager", None)


class TriageSource(Protocol):
    async def current(self) -> TriageConfig:
        """The rules and classifier in force (a cached copy: no round trip per ticket)."""


class KnowledgeSource(Protocol):
    async def index(self) -> KnowledgeIndex | None:
        """The KB articles' search index, if any (cached: no round trip per ticket)."""


@dataclass(frozen=True)
class Triager:
    source: TriageSource
    default_category: str = DEFAULT_CATEGORY
    knowledge: KnowledgeSource | None = None
    suggestions: int = 3
    links: SelfServiceLinks | None = None
    min_suggestion_score: float = 0.0
    min_suggestion_share: float = 0.0
    # Seconds evaluating one ticket's rules may take; rules needing a regex past it are skipped.
    rules_budget_seconds: float = RULES_BUDGET_S


@dataclass(frozen=True)
class Decision:
    """The category rule the ticket opens under (department already triage's), its priority,
    the tags triage adds, and the record kept on the ticket (None without triage)."""

    rule: CategoryRule
    priority: Priority | None
    tags: list[str] = field(default_factory=list)
    record: dict | None = None
    escalation_reason: str | None = None


async def decide(
    command: CreateTicket,
    categories: CategoryRepository,
    triager: Triager | None,
    now: datetime,
) -> Decision:
    fallback = command.fallback_category or (
        triager.default_category if triager else DEFAULT_CATEGORY
    )
    if triager is None:
        return Decision(await _rule(categories, command.category or fallback), command.priority)
    config = await triager.source.current()
    classifier = config.classifier if command.category is None else None
    facts = TicketFacts(
        command.channel.value,
        command.subject,
        command.body,
        now,
        command.customer_tier,
        dict(command.fields),
    )
    model = classifier.model if classifier else None
    threshold = classifier.threshold if classifier else 1.0
    # Off the event loop: the rules' regexes may take up to the whole budget, and the regex
    # module lets go of the GIL while it matches a str, so other requests go on meanwhile.
    out = await asyncio.to_thread(
        triage,
        facts,
        command.priority or Priority.normal,
        config.rules.rules,
        model,
        threshold,
        rules_budget=triager.rules_budget_seconds,
    )
    rule, category_note = await _category(command, out, categories, fallback)
    base = command.priority or out.ruled_priority or rule.priority_for(None)
    felt = emotion.Emotion(**out.emotion) if out.emotion else None
    raised = emotion.escalated_priority(base, felt) if felt else None
    tags = list(out.tags)
    if category_note["applied"] is False or NEEDS_TRIAGE in tags:
        # First, so a long list of rule tags never crowds it out.
        tags = [NEEDS_TRIAGE, *(tag for tag in tags if tag != NEEDS_TRIAGE)]
    record = {
        "rules_version": config.rules.version,
        "classifier_version": classifier.version if classifier else None,
        "fired": out.fired,
        "skipped": out.skipped,
        "category": category_note,
        "priority": (raised or base).value,
        "department": out.department,
        # Many matching rules may name more tags than a ticket holds: the first ones win.
        "tags": checked_tags(list(dict.fromkeys(tags))[:MAX_TAGS]),
        "proposal": out.proposal,
        "emotion": out.emotion,
        "escalation_reason": out.escalation_reason if raised else None,
        "suggestions": await _suggestions(triager, f"{command.subject}\n{command.body}"),
    }
    if out.department:
        rule = replace(rule, department=out.department)
    return Decision(rule, raised or base, record["tags"], record, record["escalation_reason"])


def suggested_articles(
    decision: Decision, ticket_id: str, triager: Triager | None, now: datetime
) -> list[ArticleSuggestion]:
    """What the acknowledgement offers: the suggested articles, each with its self-service
    link when intake has a public address and a link secret."""
    found = decision.record["suggestions"] if decision.record else []
    links = triager.links if triager else None
    return [
        ArticleSuggestion(
            article_id=hit["article_id"],
            title=hit["title"],
            url=links.url(ticket_id, hit["article_id"], now) if links else None,
        )
        for hit in found
    ]


async def _suggestions(triager: Triager, text: str) -> list[dict]:
    """The KB articles that best answer the ticket, best first."""
    index = await triager.knowledge.index() if triager.knowledge else None
    if index is None:
        return []
    hits = index.rank(text, triager.suggestions)
    if not hits:
        return []
    floor = max(triager.min_suggestion_score, triager.min_suggestion_share * hits[0].score)
    return [
        {"article_id": h.article_id, "title": h.title, "score": h.score}
        for h in hits
        if h.score >= floor
    ]


async def _category(
    command: CreateTicket, out: Triage, categories: CategoryRepository, fallback: str
) -> tuple[CategoryRule, dict]:
    """The category rule, and a note of how it was chosen (`applied`: triage's choice was
    taken; False: triage chose one it could not take; None: triage chose none, or the
    client did)."""
    if command.category is not None:
        return await _rule(categories, command.category), {
            "name": command.category,
            "by": "client",
            "applied": None,
        }
    if out.category is not None:
        chosen = await categories.get(out.category)
        if chosen is not None and not chosen.missing_fields(command.fields):
            by = "classifier" if out.proposal and out.proposal["applied"] else "rules"
            return chosen, {"name": chosen.name, "by": by, "applied": True}
        why = (
            "no such category"
            if chosen is None
            else "missing fields: " + ", ".join(chosen.missing_fields(command.fields))
        )
        rule = await _rule(categories, fallback)
        note = {"name": rule.name, "by": "channel", "applied": False}
        return rule, note | {"proposed": out.category, "why": why}
    return await _rule(categories, fallback), {"name": fallback, "by": "channel", "applied": None}


async def _rule(categories: CategoryRepository, name: str) -> CategoryRule:
    rule = await categories.get(name)
    if rule is None:
        raise UnknownCategory(name)
    return rule
