"""Training examples for the classifier: resolved tickets, their category as the label."""

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.documents import BODY, SUBJECT
from intake.domain.classifier import Example
from ticketflow_shared.pii import FieldCipher

RESOLVED = ("solved", "closed")


async def resolved_examples(
    collection: AsyncCollection, cipher: FieldCipher, limit: int
) -> list[Example]:
    """The newest `limit` solved or closed tickets, subject and body opened."""
    cursor = (
        collection.find(
            {"status": {"$in": list(RESOLVED)}}, {"subject": 1, "body": 1, "category": 1}
        )
        .sort("created_at", DESCENDING)
        .limit(limit)
    )
    return [_example(doc, cipher) async for doc in cursor]


def _example(doc: dict, cipher: FieldCipher) -> Example:
    subject, body = cipher.open(doc["subject"], SUBJECT), cipher.open(doc["body"], BODY)
    return Example(subject, body, doc["category"])
