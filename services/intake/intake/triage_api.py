"""Thin HTTP routes for triage: the dry run, the stored rules, the classifier."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Request

from intake import triage_handlers
from intake.api import Categories
from intake.domain.triage_config import Classifier, RuleSet
from intake.domain.triage_eval import TicketFacts
from intake.domain.triage_rules import RULES_BUDGET_S, TriageRule
from intake.handlers import now_ms
from intake.triage_handlers import Trainings, TrainingSource, TriageStore
from intake.triage_schemas import (
    ClassifierRead,
    ClassifierUpdate,
    TrainingStarted,
    TriageDryRun,
    TriageResult,
    TriageRulesRead,
)
from intake.triage_step import Triager, triager_of
from ticketflow_shared.access.guard import Admin

MAX_RULES = 200

triage_router = APIRouter(prefix="/triage", tags=["triage"])


def _store(request: Request) -> TriageStore:
    return request.app.state.triage_store


Store = Annotated[TriageStore, Depends(_store)]


@triage_router.post("/test", summary="Dry-run a ticket against the given rules")
async def dry_run(body: TriageDryRun, request: Request, _: Admin) -> TriageResult:
    ticket = body.ticket
    at = ticket.at or now_ms()
    facts = TicketFacts(
        ticket.channel, ticket.subject, ticket.body, at, ticket.customer_tier, ticket.fields
    )
    triager = triager_of(request.app.state)
    # The same time budget as a created ticket's, so the dry run skips what it would skip.
    budget = triager.rules_budget_seconds if triager else RULES_BUDGET_S
    out = await triage_handlers.dry_run(body.rules, facts, budget)
    return TriageResult(
        category=out.category,
        priority=out.priority,
        department=out.department,
        tags=out.tags,
        fired=out.fired,
        skipped=out.skipped,
    )


@triage_router.get("/rules", summary="The triage rules new tickets go through")
async def get_rules(store: Store, _: Admin) -> TriageRulesRead:
    return _rules_read((await store.read()).rules)


@triage_router.put(
    "/rules",
    summary="Replace the triage rules (the whole ordered list)",
    responses={422: {"description": "A rule is invalid; `loc` names the rule and its part"}},
)
async def put_rules(
    rules: Annotated[list[TriageRule], Body(max_length=MAX_RULES)],
    store: Store,
    categories: Categories,
    caller: Admin,
) -> TriageRulesRead:
    saved = await triage_handlers.put_rules(store, categories, rules, caller.actor, now_ms())
    return _rules_read(saved)


@triage_router.get(
    "/classifier",
    summary="The category classifier: version, classes, accuracy, threshold",
    responses={404: {"description": "None trained yet"}},
)
async def get_classifier(store: Store, _: Admin) -> ClassifierRead:
    return _classifier_read(await triage_handlers.stored_classifier(store))


@triage_router.post(
    "/classifier/train",
    status_code=202,
    summary="Train the classifier on resolved tickets (their category is the label)",
    responses={
        409: {
            "description": "Too few resolved tickets, fewer than two categories, or a "
            "training under way"
        }
    },
)
async def train_classifier(request: Request, store: Store, caller: Admin) -> TrainingStarted:
    state = request.app.state
    settings = state.intake_settings
    samples = await triage_handlers.train_classifier(
        store,
        state.training_examples,
        state.trainings,
        minimum=settings.triage_train_min_examples,
        limit=settings.triage_train_max_examples,
        actor=caller.actor,
        now=now_ms(),
    )
    return TrainingStarted(samples=samples, example_count=sum(samples.values()))


@triage_router.put(
    "/classifier",
    summary="Change the confidence a proposal needs to set the category",
    responses={404: {"description": "None trained yet"}},
)
async def put_classifier(body: ClassifierUpdate, store: Store, _: Admin) -> ClassifierRead:
    return _classifier_read(await triage_handlers.set_threshold(store, body.threshold))


def _rules_read(rules: RuleSet) -> TriageRulesRead:
    return TriageRulesRead(
        version=rules.version,
        rules=rules.rules,
        updated_at=rules.updated_at,
        updated_by=rules.updated_by,
    )


def _classifier_read(classifier: Classifier) -> ClassifierRead:
    return ClassifierRead(
        version=classifier.version,
        classes=classifier.classes,
        samples=classifier.samples,
        example_count=classifier.example_count,
        held_out_accuracy=classifier.held_out_accuracy,
        threshold=classifier.threshold,
        trained_at=classifier.trained_at,
        trained_by=classifier.trained_by,
    )


def install_triage(
    app: FastAPI,
    store: TriageStore,
    triager: Triager,
    training_examples: TrainingSource,
) -> None:
    """Where the triage routes and the create path find the rules, the classifier and the
    resolved tickets to train on."""
    app.state.triage_store = store
    app.state.triager = triager
    app.state.training_examples = training_examples
    app.state.trainings = Trainings()
