"""Message templates, one document per event type, seeded with the defaults."""

import contextlib
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from notify.adapters import TEMPLATES
from notify.domain.templates import DEFAULT_TEMPLATES, Template, UnknownTemplate
from ticketflow_shared.events import utcnow


class MongoTemplateRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[TEMPLATES]

    async def get(self, event_type: str) -> Template:
        doc = await self.collection.find_one({"_id": event_type})
        if doc is not None:
            return _from_doc(doc)
        if event_type in DEFAULT_TEMPLATES:
            return DEFAULT_TEMPLATES[event_type]
        raise UnknownTemplate(event_type)

    async def list_all(self) -> list[Template]:
        stored = {doc["_id"]: _from_doc(doc) async for doc in self.collection.find({})}
        return [stored.get(name, default) for name, default in DEFAULT_TEMPLATES.items()]

    async def put(self, template: Template) -> Template:
        doc = await self.collection.find_one_and_update(
            {"_id": template.event_type},
            {"$set": {"subject": template.subject, "body": template.body, "updated_at": utcnow()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return _from_doc(doc)

    async def seed(self, templates: Sequence[Template]) -> None:
        for template in templates:
            # Two instances starting together may both upsert; the loser's insert is a no-op.
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.update_one(
                    {"_id": template.event_type},
                    {
                        "$setOnInsert": {
                            "subject": template.subject,
                            "body": template.body,
                            "updated_at": None,
                        }
                    },
                    upsert=True,
                )


def _from_doc(doc: dict[str, Any]) -> Template:
    return Template(
        event_type=doc["_id"],
        subject=doc["subject"],
        body=doc["body"],
        updated_at=doc.get("updated_at"),
    )
