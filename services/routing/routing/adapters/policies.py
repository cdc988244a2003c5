"""Queue policies in Mongo, one document per `department` or `department/category`.

A deleted policy leaves a tombstone, so one written again later carries on its version.
Routing decisions read the policies from a copy of the whole (small) collection re-read at
most every `REFRESH_SECONDS`, not from the store per ticket; this process's own writes
drop the copy at once, another routing process's show within that interval.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import SkillRequirement
from routing.domain.policies import EscalationStep, OrderKey, QueuePolicy
from ticketflow_shared.events import Priority
from ticketflow_shared.refreshed import RefreshedCopy

DELETED = "deleted"
REFRESH_SECONDS = 2.0


def _needs(needs: tuple[SkillRequirement, ...]) -> list[dict[str, Any]]:
    return [{"skill": n.skill, "min_level": n.min_level} for n in needs]


def _step(step: EscalationStep) -> dict[str, Any]:
    return {
        "after_seconds": step.after_seconds,
        "drop_preferred": step.drop_preferred,
        "lower_levels_by": step.lower_levels_by,
        "overflow_to": step.overflow_to,
        "raise_priority": step.raise_priority.value if step.raise_priority else None,
        "page_supervisor": step.page_supervisor,
    }


def policy_doc(policy: QueuePolicy) -> dict[str, Any]:
    return {
        "department": policy.department,
        "category": policy.category,
        "required": _needs(policy.required),
        "preferred": _needs(policy.preferred),
        "language": policy.language,
        "order": [key.value for key in policy.order],
        "fairness_cap": policy.fairness_cap,
        "steps": [_step(step) for step in policy.steps],
        "version": policy.version,
        "updated_at": policy.updated_at,
    }


def policy_of(doc: dict[str, Any]) -> QueuePolicy:
    steps = tuple(
        EscalationStep(
            **{**step, "raise_priority": Priority(step["raise_priority"])}
            if step.get("raise_priority")
            else step
        )
        for step in doc.get("steps") or []
    )
    return QueuePolicy(
        department=doc["department"],
        category=doc.get("category"),
        required=tuple(SkillRequirement(n["skill"], n["min_level"]) for n in doc["required"]),
        preferred=tuple(SkillRequirement(n["skill"], n["min_level"]) for n in doc["preferred"]),
        language=bool(doc.get("language")),
        order=tuple(OrderKey(key) for key in doc["order"]),
        fairness_cap=doc.get("fairness_cap"),
        steps=steps,
        version=doc["version"],
        updated_at=doc.get("updated_at"),
    )


class MongoPolicies:
    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.copy = RefreshedCopy(self._by_key, refresh_seconds)

    async def get(self, key: str) -> QueuePolicy | None:
        doc = await self.collection.find_one({"_id": key})
        return policy_of(doc) if doc and not doc.get(DELETED) else None

    async def for_ticket(self, department: str | None, category: str) -> QueuePolicy | None:
        """The category's own policy in the department, else the department's."""
        if department is None:
            return None
        policies = await self.copy.current()
        return policies.get(f"{department}/{category}") or policies.get(department)

    async def _by_key(self) -> dict[str, QueuePolicy]:
        return {policy.key: policy for policy in await self.all()}

    async def all(self) -> list[QueuePolicy]:
        cursor = self.collection.find({DELETED: {"$ne": True}}).sort("_id", 1)
        return [policy_of(doc) async for doc in cursor]

    async def put(self, policy: QueuePolicy, now: datetime) -> QueuePolicy:
        """Store `policy` as the next version of its key; the stored policy."""
        stored = await self.collection.find_one({"_id": policy.key}, {"version": 1})
        version = (stored or {}).get("version", 0) + 1
        saved = QueuePolicy(**{**policy.__dict__, "version": version, "updated_at": now})
        doc = {**policy_doc(saved), DELETED: False}
        try:
            await self.collection.replace_one({"_id": policy.key}, doc, upsert=True)
        except DuplicateKeyError:
            await self.collection.replace_one({"_id": policy.key}, doc)
        self.copy.forget()
        return saved

    async def delete(self, key: str, now: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": key, DELETED: False},
            {"$set": {DELETED: True, "updated_at": now}, "$inc": {"version": 1}},
        )
        self.copy.forget()
        return result.matched_count == 1
