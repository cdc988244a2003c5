"""Triage's service layer: saving rules, training the classifier, changing its threshold."""

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from intake.domain.classifier import Example
from intake.domain.errors import IntakeError
from intake.domain.tags import TAG_PATTERN, InvalidTags, checked_tags
from intake.domain.triage_config import Classifier, RuleSet, TooFewExamples, check_trainable
from intake.domain.triage_eval import TicketFacts, TriageOutcome, evaluate
from intake.domain.triage_rules import TriageRule
from intake.ports import CategoryRepository
from ticketflow_shared.errors import Conflict, NotFound, Unprocessable, problem

if TYPE_CHECKING:
    from intake.adapters.classifier_training import Trained

log = logging.getLogger(__name__)


class TriageStore(Protocol):
    async def read(self) -> Any: ...
    async def put_rules(self, rules: list[TriageRule], actor: str, now: datetime) -> RuleSet: ...
    async def put_classifier(self, trained: Classifier) -> Classifier: ...
    async def put_threshold(self, threshold: float) -> Classifier | None: ...


class InvalidRules(IntakeError, Unprocessable):
    """Rules the schema accepts but a ticket could not take; each bad part named."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(entry["msg"] for entry in found))
        self.found = found

    def problems(self) -> list[dict[str, Any]]:
        return self.found


class NotTrainable(IntakeError, Conflict):
    pass


class NoClassifier(IntakeError, NotFound):
    def __init__(self) -> None:
        super().__init__("no classifier trained yet: POST /triage/classifier/train")


async def dry_run(rules: list[TriageRule], facts: TicketFacts, budget: float) -> TriageOutcome:
    """What the rules would do to a ticket, evaluated off the event loop as at creation."""
    return await asyncio.to_thread(evaluate, rules, facts, budget=budget)


async def put_rules(
    store: TriageStore,
    categories: CategoryRepository,
    rules: list[TriageRule],
    actor: str,
    now: datetime,
) -> RuleSet:
    """Check the rules against what exists, then store them as the next version."""
    found = await _rule_problems(rules, categories)
    if found:
        raise InvalidRules(found)
    ordered = sorted(rules, key=lambda rule: (rule.rank, rule.name))
    return await store.put_rules(ordered, actor, now)


async def _rule_problems(
    rules: list[TriageRule], categories: CategoryRepository
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    known = _Known(categories)
    for at, rule in enumerate(rules):
        if rule.name in seen:
            found.append(
                problem("duplicate_rule", ["body", at, "name"], f"rule {rule.name!r} repeats")
            )
        seen.add(rule.name)
        try:
            checked_tags(rule.then.tags)
        except InvalidTags:
            msg = f"tags must each match {TAG_PATTERN}, at most 20"
            found.append(problem("invalid_tags", ["body", at, "then", "tags"], msg))
        found.extend(await _unknown_targets(rule, at, known))
    return found


async def _unknown_targets(rule: TriageRule, at: int, known: "_Known") -> list[dict[str, Any]]:
    """A problem for the category and for the department the rule sets, if unknown."""
    found: list[dict[str, Any]] = []
    category, department = rule.then.category, rule.then.department
    if category is not None and not await known.category(category):
        msg = f"unknown category {category!r}"
        found.append(problem("unknown_category", ["body", at, "then", "category"], msg))
    if department is not None and not await known.department(department):
        msg = f"unknown department {department!r}: no category routes to it"
        found.append(problem("unknown_department", ["body", at, "then", "department"], msg))
    return found


class _Known:
    """The categories, and the departments they route to, that rules may name; intake keeps
    no list of departments of its own, so a department is one some category names."""

    def __init__(self, categories: CategoryRepository) -> None:
        self._store = categories
        self._categories: dict[str, bool] = {}
        self._departments: set[str] | None = None

    async def category(self, name: str) -> bool:
        if name not in self._categories:
            self._categories[name] = await self._store.get(name) is not None
        return self._categories[name]

    async def department(self, name: str) -> bool:
        if self._departments is None:
            rules = await self._store.all()
            self._departments = {rule.department for rule in rules if rule.department}
        return name in self._departments


class TrainingSource(Protocol):
    async def counts(self) -> dict[str, int]: ...
    async def examples(self, limit: int) -> list[Example]: ...


class Trainings:
    """At most one training at a time in this process, run apart from the request that
    started it (fitting takes longer than a request may)."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, job: Coroutine[Any, Any, Classifier]) -> None:
        self._task = asyncio.create_task(job)
        self._task.add_done_callback(_log_failure)

    async def finished(self) -> Classifier | None:
        """Wait for the training under way, if any (tests, shutdown)."""
        return await self._task if self._task else None


async def train_classifier(
    store: TriageStore,
    source: TrainingSource,
    trainings: Trainings,
    *,
    minimum: int,
    limit: int,
    actor: str,
    now: datetime,
) -> dict[str, int]:
    """Start training on the resolved tickets; NotTrainable (409) with too few of them, or
    while another training runs. The examples per category it starts from."""
    samples = await source.counts()
    try:
        check_trainable(samples, minimum)
    except TooFewExamples as exc:
        raise NotTrainable(str(exc)) from None
    if trainings.running:
        raise NotTrainable("a training is already under way: GET /triage/classifier shows it")
    trainings.start(_train_and_store(store, source, limit, actor, now))
    return samples


async def _train_and_store(
    store: TriageStore, source: TrainingSource, limit: int, actor: str, now: datetime
) -> Classifier:
    taken = await source.examples(limit)
    trained = await asyncio.to_thread(_fit, taken)  # off the event loop: tickets keep flowing
    return await store.put_classifier(
        Classifier(
            version=0,
            model=trained.model,
            samples=trained.samples,
            held_out_accuracy=trained.held_out_accuracy,
            trained_at=now,
            trained_by=actor,
        )
    )


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("classifier training failed", exc_info=task.exception())


def _fit(examples: list[Example]) -> "Trained":
    # scikit-learn loads here only: intake's start-up and per-ticket work never import it.
    from intake.adapters import classifier_training

    return classifier_training.train(examples)


async def stored_classifier(store: TriageStore) -> Classifier:
    classifier = (await store.read()).classifier
    if classifier is None:
        raise NoClassifier()
    return classifier


async def set_threshold(store: TriageStore, threshold: float) -> Classifier:
    classifier = await store.put_threshold(threshold)
    if classifier is None:
        raise NoClassifier()
    return classifier
