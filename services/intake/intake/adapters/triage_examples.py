"""Training examples for the classifier: resolved tickets, their category as the label."""

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.documents import BODY, SUBJECT
from intake.domain.classifier import Example
from ticketflow_shared.pii import FieldCipher

RESOLVED = {"status": {"$in": ["solved", "closed"]}}


class MongoTrainingExamples:
    def __init__(self, collection: AsyncCollection, cipher: FieldCipher) -> None:
        self.collection = collection
        self.cipher = cipher

    async def counts(self) -> dict[str, int]:
        """Resolved tickets per category, counted by the store (nothing is opened)."""
        pipeline = [{"$match": RESOLVED}, {"$group": {"_id": "$category", "n": {"$sum": 1}}}]
        cursor = await self.collection.aggregate(pipeline)
        return {doc["_id"]: doc["n"] async for doc in cursor if doc["_id"]}

    async def examples(self, limit: int) -> list[Example]:
        """The newest `limit` solved or closed tickets, subject and body opened."""
        projection = {"subject": 1, "body": 1, "category": 1}
        cursor = (
            self.collection.find(RESOLVED, projection).sort("created_at", DESCENDING).limit(limit)
        )
        return [self._example(doc) async for doc in cursor]

    def _example(self, doc: dict) -> Example:
        subject = self.cipher.open(doc["subject"], SUBJECT)
        return Example(subject, self.cipher.open(doc["body"], BODY), doc["category"])
