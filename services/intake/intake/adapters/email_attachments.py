"""Inbound email attachments in intake's store: one document per attachment (under MongoDB's
16 MB per document: the per-attachment limit stays below 15 MB), bytes and name sealed."""

from contextlib import suppress
from dataclasses import dataclass

from bson import Binary
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from intake.domain.attachments import AttachmentRef
from ticketflow_shared.pii import FieldCipher

EMAIL_ATTACHMENTS = "email_attachments"
INDEXES = [IndexModel([("ticket_id", ASCENDING), ("_id", ASCENDING)], name="ticket")]
FILENAME = "attachment.filename"
CONTENT = "attachment.content"


@dataclass(frozen=True)
class StoredAttachment:
    ref: AttachmentRef
    ticket_id: str
    message_id: str | None


class MongoEmailAttachments:
    def __init__(self, collection: AsyncCollection, cipher: FieldCipher) -> None:
        self.collection = collection
        self.cipher = cipher

    async def keep(
        self, ticket_id: str, message_id: str | None, ref: AttachmentRef, content: bytes
    ) -> None:
        """Store once under the attachment's id; a redelivery's copy changes nothing."""
        doc = {
            "_id": ref.id,
            "ticket_id": ticket_id,
            "message_id": message_id,
            "filename": self.cipher.seal(ref.filename, FILENAME),
            "content_type": ref.content_type,
            "size": ref.size,
            "content": Binary(self.cipher.seal_bytes(content, CONTENT)),
        }
        with suppress(DuplicateKeyError):
            await self.collection.insert_one(doc)

    async def content(
        self, ticket_id: str, attachment_id: str
    ) -> tuple[StoredAttachment, bytes] | None:
        doc = await self.collection.find_one({"_id": attachment_id, "ticket_id": ticket_id})
        if doc is None:
            return None
        return self._stored(doc), self.cipher.open_bytes(bytes(doc["content"]), CONTENT)

    async def of_ticket(self, ticket_id: str) -> list[StoredAttachment]:
        found = self.collection.find({"ticket_id": ticket_id}, {"content": 0}).sort("_id", 1)
        return [self._stored(doc) async for doc in found]

    def _stored(self, doc: dict) -> StoredAttachment:
        ref = AttachmentRef(
            doc["_id"],
            self.cipher.open(doc["filename"], FILENAME),
            doc["content_type"],
            doc["size"],
        )
        return StoredAttachment(ref, doc["ticket_id"], doc.get("message_id"))


def stored_in(db: AsyncDatabase, cipher: FieldCipher) -> MongoEmailAttachments:
    return MongoEmailAttachments(db[EMAIL_ATTACHMENTS], cipher)
