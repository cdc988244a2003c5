"""Message templates, one document per event type, seeded with the defaults.

Every notification needs its template, so each process keeps what it read for a few
seconds: an edit made through this process applies at once, one made through another
within `cache_seconds`.
"""

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from notify.adapters import TEMPLATES
from notify.domain.catalog import DEFAULT_TEMPLATES, UnknownTemplate
from notify.domain.templates import Template
from ticketflow_shared.events import utcnow


class MongoTemplateRepository:
    def __init__(
        self,
        db: AsyncDatabase,
        cache_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collection = db[TEMPLATES]
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, Template]] = {}

    async def get(self, event_type: str) -> Template:
        cached = self._cache.get(event_type)
        if cached is not None and self.monotonic() < cached[0]:
            return cached[1]
        doc = await self.collection.find_one({"_id": event_type})
        if doc is not None:
            return self._remember(_from_doc(doc))
        if event_type in DEFAULT_TEMPLATES:
            return self._remember(DEFAULT_TEMPLATES[event_type])
        raise UnknownTemplate(event_type)

    def _remember(self, template: Template) -> Template:
        self._cache[template.event_type] = (self.monotonic() + self.cache_seconds, template)
        return template

    async def list_all(self) -> list[Template]:
        stored = {doc["_id"]: _from_doc(doc) async for doc in self.collection.find({})}
        return [stored.get(name, default) for name, default in DEFAULT_TEMPLATES.items()]

    async def put(self, template: Template) -> Template:
        doc = await self.collection.find_one_and_update(
            {"_id": template.event_type},
            {
                "$set": {
                    "subject": template.subject,
                    "body": template.body,
                    "enabled": template.enabled,
                    "updated_at": utcnow(),
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return self._remember(_from_doc(doc))

    async def seed(self, templates: Sequence[Template]) -> None:
        """Store the shipped templates: missing ones are added, and one no operator ever
        edited (`updated_at` null) takes the shipped text of this version."""
        for template in templates:
            await self.collection.update_one(
                {"_id": template.event_type, "updated_at": None},
                {"$set": {"subject": template.subject, "body": template.body}},
            )
            # Two instances starting together may both upsert; the loser's insert is a no-op.
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.update_one(
                    {"_id": template.event_type},
                    {
                        "$setOnInsert": {
                            "subject": template.subject,
                            "body": template.body,
                            "enabled": template.enabled,
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
        enabled=doc.get("enabled", True),
    )
