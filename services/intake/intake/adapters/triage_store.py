"""Triage rules and the classifier in MongoDB: one document each in `triage`, versioned, with
a per-process copy re-read every few seconds (as routing keeps its queue policies)."""

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.domain import triage_text
from intake.domain.classifier import LinearModel
from intake.domain.triage import DEFAULT_THRESHOLD
from intake.domain.triage_config import Classifier, RuleSet, TriageConfig
from intake.domain.triage_rules import TriageRule
from ticketflow_shared.refreshed import RefreshedCopy

TRIAGE = "triage"
RULES_ID = "rules"
CLASSIFIER_ID = "classifier"
REFRESH_SECONDS = 5.0


class MongoTriageStore:
    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.copy = RefreshedCopy(self.read, refresh_seconds)
        self._warming: asyncio.Task | None = None

    async def current(self) -> TriageConfig:
        """The rules and classifier in force, from the copy while it is fresh (no round trip)."""
        return self._usable(await self.copy.current())

    async def prime(self) -> None:
        """Read the copy, and load what the stored classifier needs, before the first ticket."""
        await self.current()
        if self._warming is not None:
            await asyncio.shield(self._warming)

    def _usable(self, config: TriageConfig) -> TriageConfig:
        """Without the classifier while its tokenizer loads (seconds, once per process, in a
        thread): no ticket waits for it, and those meanwhile get no proposal."""
        if config.classifier is None or config.classifier.model is None or triage_text.ready():
            return config
        if self._warming is None:
            self._warming = asyncio.create_task(asyncio.to_thread(triage_text.warm))
        return replace(config, classifier=None)

    async def read(self) -> TriageConfig:
        """Both documents in one query, from the store."""
        docs = {doc["_id"]: doc async for doc in self.collection.find({})}
        rules, classifier = docs.get(RULES_ID), docs.get(CLASSIFIER_ID)
        return TriageConfig(
            rules=_rule_set(rules) if rules else RuleSet(),
            classifier=_classifier(classifier) if classifier else None,
        )

    async def put_rules(self, rules: list[TriageRule], actor: str, now: datetime) -> RuleSet:
        """Store `rules` as the next version, whoever else saves at the same time."""
        doc = await _upsert(
            self.collection,
            RULES_ID,
            {
                "$set": {
                    "rules": [rule.model_dump(mode="json") for rule in rules],
                    "updated_at": now,
                    "updated_by": actor,
                },
                "$inc": {"version": 1},
            },
        )
        self.copy.forget()
        return _rule_set(doc)

    async def put_classifier(self, trained: Classifier) -> Classifier:
        """Store a newly trained model as the next version; the threshold carries over."""
        assert trained.model is not None
        fields = {
            "model": _model_doc(trained.model),
            "samples": trained.samples,
            "held_out_accuracy": trained.held_out_accuracy,
            "trained_at": trained.trained_at,
            "trained_by": trained.trained_by,
        }
        doc = await _upsert(
            self.collection,
            CLASSIFIER_ID,
            {
                "$set": fields,
                "$inc": {"version": 1},
                "$setOnInsert": {"threshold": trained.threshold},
            },
        )
        self.copy.forget()
        return _classifier(doc)

    async def put_threshold(self, threshold: float) -> Classifier | None:
        """Change the stored classifier's threshold; None when none is trained yet."""
        doc = await self.collection.find_one_and_update(
            {"_id": CLASSIFIER_ID},
            {"$set": {"threshold": threshold}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        self.copy.forget()
        return _classifier(doc) if doc else None


async def _upsert(collection: AsyncCollection, key: str, update: dict) -> dict[str, Any]:
    """The document after `update`; two first saves at once: one inserts, the other updates."""
    try:
        return await collection.find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:
        return await collection.find_one_and_update(
            {"_id": key}, update, return_document=ReturnDocument.AFTER
        )


def _rule_set(doc: dict[str, Any]) -> RuleSet:
    return RuleSet(
        version=doc.get("version", 0),
        rules=[TriageRule.model_validate(rule) for rule in doc.get("rules") or []],
        updated_at=doc.get("updated_at"),
        updated_by=doc.get("updated_by"),
    )


def _classifier(doc: dict[str, Any]) -> Classifier:
    model = doc.get("model")
    return Classifier(
        version=doc.get("version", 0),
        model=_model(model) if model else None,
        samples=dict(doc.get("samples") or {}),
        held_out_accuracy=doc.get("held_out_accuracy"),
        threshold=doc.get("threshold", DEFAULT_THRESHOLD),
        trained_at=doc.get("trained_at"),
        trained_by=doc.get("trained_by"),
    )


def _model_doc(model: LinearModel) -> dict[str, Any]:
    """The model's arrays, its weight matrix flattened row by row (FerretDB stores no array
    directly inside an array)."""
    doc = model.to_doc()
    doc["coef"] = [weight for row in model.coef for weight in row]
    doc["coef_rows"] = len(model.coef)
    return doc


def _model(doc: dict[str, Any]) -> LinearModel:
    flat, rows = doc["coef"], doc["coef_rows"]
    width = len(flat) // rows
    coef = [flat[row * width : (row + 1) * width] for row in range(rows)]
    return LinearModel.from_doc({**doc, "coef": coef})
