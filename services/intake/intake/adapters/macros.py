"""Macros in MongoDB, one document per macro, keyed by its id."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.domain.macros import Macro, MacroReply
from ticketflow_shared.events import Priority, TicketStatus, Visibility

MACROS = "macros"


class MongoMacroRepository:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def get(self, macro_id: str) -> Macro | None:
        doc = await self.collection.find_one({"_id": macro_id})
        return _macro(doc) if doc else None

    async def all(self) -> list[Macro]:
        # A whole-collection read: macros are few, and FerretDB would scan for any filter.
        docs = await self.collection.find().sort("_id", 1).to_list()
        return [_macro(doc) for doc in docs]

    async def put(self, macro: Macro) -> bool:
        """Create or replace; True if it was created."""
        result = await self.collection.replace_one({"_id": macro.id}, _document(macro), upsert=True)
        return result.upserted_id is not None

    async def delete(self, macro_id: str) -> bool:
        result = await self.collection.delete_one({"_id": macro_id})
        return result.deleted_count == 1


def _document(macro: Macro) -> dict[str, Any]:
    reply = macro.reply
    return {
        "_id": macro.id,
        "title": macro.title,
        "department": macro.department,
        "categories": list(macro.categories),
        "reply": {"body": reply.body, "visibility": reply.visibility.value} if reply else None,
        "set_status": macro.set_status.value if macro.set_status else None,
        "set_priority": macro.set_priority.value if macro.set_priority else None,
        "add_tags": list(macro.add_tags),
        "remove_tags": list(macro.remove_tags),
        "updated_at": macro.updated_at,
        "updated_by": macro.updated_by,
    }


def _macro(doc: dict[str, Any]) -> Macro:
    reply = doc.get("reply")
    status = doc.get("set_status")
    priority = doc.get("set_priority")
    return Macro(
        id=doc["_id"],
        title=doc["title"],
        department=doc.get("department"),
        categories=tuple(doc.get("categories") or ()),
        reply=MacroReply(reply["body"], Visibility(reply["visibility"])) if reply else None,
        set_status=TicketStatus(status) if status else None,
        set_priority=Priority(priority) if priority else None,
        add_tags=tuple(doc.get("add_tags") or ()),
        remove_tags=tuple(doc.get("remove_tags") or ()),
        updated_at=doc.get("updated_at"),
        updated_by=doc.get("updated_by"),
    )
