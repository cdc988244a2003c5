"""Knowledge-base articles in MongoDB, one document each, and a per-process search index
rebuilt (in a thread, off the event loop) only when the articles change."""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.domain import triage_text
from intake.domain.knowledge import Article, KnowledgeIndex

KB_ARTICLES = "kb_articles"
REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class StoredArticle:
    article: Article
    language: str
    updated_at: datetime | None
    updated_by: str | None


class MongoKnowledgeBase:
    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.refresh_seconds = refresh_seconds
        self._index: KnowledgeIndex | None = None
        self._indexed: tuple = ()
        self._read_at: float | None = None
        self._building: asyncio.Task | None = None

    async def put(self, stored: StoredArticle) -> StoredArticle:
        article = stored.article
        doc = {
            "title": article.title,
            "body": article.body,
            "language": stored.language,
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
        }
        await self.collection.replace_one({"_id": article.article_id}, doc, upsert=True)
        self._read_at = None
        return stored

    async def get(self, article_id: str) -> StoredArticle | None:
        doc = await self.collection.find_one({"_id": article_id})
        return _stored(doc) if doc else None

    async def all(self) -> list[StoredArticle]:
        return [_stored(doc) async for doc in self.collection.find({}).sort("_id", 1)]

    async def delete(self, article_id: str) -> bool:
        result = await self.collection.delete_one({"_id": article_id})
        self._read_at = None
        return result.deleted_count == 1

    async def index(self) -> KnowledgeIndex | None:
        """The index of the articles as last read; a changed set is re-indexed in the
        background while tickets go on with the previous index."""
        fresh = (
            self._read_at is not None and time.monotonic() - self._read_at < self.refresh_seconds
        )
        if not fresh and (self._building is None or self._building.done()):
            self._read_at = time.monotonic()
            stamps = [
                (doc["_id"], doc.get("updated_at"))
                async for doc in self.collection.find({}, {"updated_at": 1}).sort("_id", 1)
            ]
            if tuple(stamps) != self._indexed:
                self._building = asyncio.create_task(self._rebuild(tuple(stamps)))
        return self._index

    async def ready(self, within: float | None = None) -> KnowledgeIndex | None:
        """The index once any rebuild under way is done, waiting at most `within` seconds
        (TimeoutError after; the rebuild goes on)."""
        await self.index()
        if self._building is not None:
            async with asyncio.timeout(within):
                await asyncio.shield(self._building)
        return self._index

    async def _rebuild(self, stamps: tuple) -> None:
        articles = [stored.article for stored in await self.all()]
        self._index = await asyncio.to_thread(_indexed, articles) if articles else None
        self._indexed = stamps


def _indexed(articles: list[Article]) -> KnowledgeIndex:
    triage_text.warm()  # a Chinese ticket may come, whatever the articles' language
    return KnowledgeIndex(articles)


def _stored(doc: dict[str, Any]) -> StoredArticle:
    return StoredArticle(
        Article(doc["_id"], doc["title"], doc["body"]),
        doc.get("language", "en"),
        doc.get("updated_at"),
        doc.get("updated_by"),
    )
