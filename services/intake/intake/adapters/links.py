"""Merge and split links in MongoDB, one document each, keyed so that a retry finds its own."""

from dataclasses import asdict
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.domain.links import MergeLink, SplitLink

TICKET_LINKS = "ticket_links"
INDEXES = [
    IndexModel([("source", 1)], name="source"),
    IndexModel([("into", 1)], name="into"),
    IndexModel([("ticket_id", 1)], name="split_ticket"),
]


class MongoTicketLinks:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def merge_of(self, source: str) -> MergeLink | None:
        doc = await self.collection.find_one({"_id": f"merge:{source}"})
        return _merge(doc) if doc else None

    async def claim_merge(self, link: MergeLink) -> MergeLink:
        """The source's merge: this one, or the one a concurrent request stored first."""
        try:
            await self.collection.insert_one({"_id": f"merge:{link.source}", **asdict(link)})
        except DuplicateKeyError:
            stored = await self.merge_of(link.source)
            if stored is not None:
                return stored
        return link

    async def record_split(self, link: SplitLink) -> None:
        key = f"split:{link.source}:{link.message_id}"
        await self.collection.replace_one({"_id": key}, asdict(link), upsert=True)

    async def of_ticket(self, ticket_id: str) -> tuple[list[MergeLink], list[SplitLink]]:
        """Merges from and into the ticket, and splits out of and into it."""
        docs: dict[str, dict[str, Any]] = {}
        for field in ("source", "into", "ticket_id"):
            async for doc in self.collection.find({field: ticket_id}):
                docs[doc["_id"]] = doc
        found = sorted(docs.values(), key=lambda doc: doc["at"])
        merges = [_merge(doc) for doc in found if doc["_id"].startswith("merge:")]
        splits = [_split(doc) for doc in found if doc["_id"].startswith("split:")]
        return merges, splits


def _merge(doc: dict[str, Any]) -> MergeLink:
    return MergeLink(doc["source"], doc["into"], doc["actor"], doc["at"])


def _split(doc: dict[str, Any]) -> SplitLink:
    return SplitLink(doc["source"], doc["message_id"], doc["ticket_id"], doc["actor"], doc["at"])
