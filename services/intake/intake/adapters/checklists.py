"""Handoff checklists in MongoDB, one document per receiving department, keyed by its name.

Category overrides are a list of {category, items}, so no name ever becomes a key."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.domain.handoffs import ChecklistItem, HandoffChecklist
from ticketflow_shared.events import utcnow

HANDOFF_CHECKLISTS = "handoff_checklists"


class MongoChecklistRepository:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def get(self, department: str) -> HandoffChecklist | None:
        doc = await self.collection.find_one({"_id": department})
        return _checklist(doc) if doc else None

    async def all(self) -> list[HandoffChecklist]:
        docs = await self.collection.find().sort("_id", 1).to_list()
        return [_checklist(doc) for doc in docs]

    async def put(self, checklist: HandoffChecklist) -> None:
        await self.collection.replace_one(
            {"_id": checklist.department}, _document(checklist), upsert=True
        )


def _document(checklist: HandoffChecklist) -> dict[str, Any]:
    return {
        "_id": checklist.department,
        "items": _items(checklist.items),
        "by_category": [
            {"category": category, "items": _items(items)}
            for category, items in sorted(checklist.by_category.items())
        ],
        "updated_at": utcnow(),
    }


def _items(items: tuple[ChecklistItem, ...]) -> list[dict[str, Any]]:
    return [{"key": i.key, "label": i.label, "required": i.required} for i in items]


def _checklist(doc: dict[str, Any]) -> HandoffChecklist:
    return HandoffChecklist(
        department=doc["_id"],
        items=_read_items(doc.get("items")),
        by_category={
            entry["category"]: _read_items(entry.get("items"))
            for entry in doc.get("by_category") or []
        },
    )


def _read_items(rows: list[dict[str, Any]] | None) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(row["key"], row["label"], row["required"]) for row in rows or [])
