"""Category rules in MongoDB, one document per category, keyed by name, with a per-process
copy for the ticket path re-read every few seconds (as triage's rules are)."""

import contextlib

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.domain.categories import CategoryRule
from intake.domain.form_fields import FieldKind, FieldSpec
from intake.domain.procedure import ProcedureStep
from ticketflow_shared.events import Priority, utcnow
from ticketflow_shared.refreshed import RefreshedCopy

REFRESH_SECONDS = 5.0


class MongoCategoryRepository:
    """`get` answers from a copy of every category while it is fresh: creating a ticket costs
    no round trip for its rule. This process's writes take effect at once; another
    process's within `refresh_seconds`. A name the copy lacks is looked up in the store, so a
    category just added elsewhere is never refused."""

    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.copy = RefreshedCopy(self._by_name, refresh_seconds)

    async def get(self, name: str) -> CategoryRule | None:
        rule = (await self.copy.current()).get(name)
        if rule is not None:
            return rule
        doc = await self.collection.find_one({"_id": name})
        return _rule(doc) if doc else None

    async def all(self) -> list[CategoryRule]:
        docs = await self.collection.find().sort("_id", 1).to_list()
        return [_rule(doc) for doc in docs]

    async def _by_name(self) -> dict[str, CategoryRule]:
        return {rule.name: rule for rule in await self.all()}

    async def put(self, rule: CategoryRule) -> None:
        await self.collection.update_one({"_id": rule.name}, {"$set": _fields(rule)}, upsert=True)
        self.copy.forget()

    async def put_procedure(self, name: str, steps: tuple[ProcedureStep, ...]) -> bool:
        """Replace the category's procedure, kept apart from its rule (which `put` rewrites);
        False if there is no such category."""
        result = await self.collection.update_one(
            {"_id": name},
            {"$set": {PROCEDURE: [_step(step) for step in steps], "updated_at": utcnow()}},
        )
        self.copy.forget()
        return result.matched_count == 1

    async def seed(self, rules: tuple[CategoryRule, ...]) -> None:
        """Write the defaults only into an empty collection; never overwrite an operator's edit."""
        if await self.collection.find_one({}, {"_id": 1}) is not None:
            return
        for rule in rules:
            # Another instance starting at the same moment may have written it first.
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.insert_one({"_id": rule.name, **_fields(rule)})
        self.copy.forget()


PROCEDURE = "procedure"


def _step(step: ProcedureStep) -> dict:
    return {
        "key": step.key,
        "label": step.label,
        "required": step.required,
        "macros": list(step.macros),
    }


def _fields(rule: CategoryRule) -> dict:
    return {
        "required_fields": list(rule.required_fields),
        "default_priority": rule.default_priority.value if rule.default_priority else None,
        "department": rule.department,
        "label": rule.label,
        "fields": [
            {"name": f.name, "label": f.label, "kind": f.kind.value, "max_length": f.max_length}
            for f in rule.fields
        ],
        "required_by_channel": {ch: list(names) for ch, names in rule.required_by_channel.items()},
        "required_before_solve": list(rule.required_before_solve),
        "updated_at": utcnow(),
    }


def _rule(doc: dict) -> CategoryRule:
    priority = doc.get("default_priority")
    return CategoryRule(
        name=doc["_id"],
        required_fields=tuple(doc.get("required_fields") or ()),
        default_priority=Priority(priority) if priority else None,
        department=doc.get("department"),
        procedure=tuple(
            ProcedureStep(s["key"], s["label"], s["required"], tuple(s["macros"]))
            for s in doc.get(PROCEDURE) or ()
        ),
        # Rules saved before labels, declared fields and these lists read as having none.
        label=doc.get("label"),
        fields=tuple(
            FieldSpec(f["name"], f["label"], FieldKind(f["kind"]), f["max_length"])
            for f in doc.get("fields") or ()
        ),
        required_by_channel={
            channel: tuple(names)
            for channel, names in (doc.get("required_by_channel") or {}).items()
        },
        required_before_solve=tuple(doc.get("required_before_solve") or ()),
    )
