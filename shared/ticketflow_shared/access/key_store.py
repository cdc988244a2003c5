"""A service's own copy of the API keys (`api_keys` collection), and, on the issuing service,
the documents whose outbox carries the key events to every other service."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ticketflow_shared.access.keys import ApiKey
from ticketflow_shared.access.principal import roles_from
from ticketflow_shared.events import ApiKeyIssuedV1, ApiKeyRevokedV1, Envelope, Payload
from ticketflow_shared.outbox import outbox_fields, push_outbox

API_KEYS = "api_keys"


class KeyIdTaken(Exception):
    pass


def _fields(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "secret_hash": key.secret_hash,
        "roles": sorted(key.roles),
        "departments": sorted(key.departments),
        "issued_by": key.issued_by,
        "issued_at": key.issued_at,
        "expires_at": key.expires_at,
    }


def from_document(doc: dict[str, Any]) -> ApiKey | None:
    """A key from its document; None for a revocation that arrived before its issue."""
    if "secret_hash" not in doc:
        return None
    return ApiKey(
        key_id=doc["_id"],
        name=doc["name"],
        secret_hash=doc["secret_hash"],
        roles=roles_from(doc.get("roles", [])),
        departments=frozenset(doc.get("departments", [])),
        issued_by=doc.get("issued_by", ""),
        issued_at=doc["issued_at"],
        expires_at=doc.get("expires_at"),
        revoked_at=doc.get("revoked_at"),
        revoked_by=doc.get("revoked_by"),
    )


class KeyStore:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def all(self) -> list[ApiKey]:
        keys = [from_document(doc) async for doc in self.collection.find({}, {"outbox": 0})]
        return [key for key in keys if key is not None]

    async def get(self, key_id: str) -> ApiKey | None:
        doc = await self.collection.find_one({"_id": key_id}, {"outbox": 0})
        return from_document(doc) if doc else None

    async def apply(self, event: Payload) -> None:
        """Fold a key event into this copy; applying one twice, or out of order, is harmless
        (a revocation is kept even when its issue arrives after it)."""
        if isinstance(event, ApiKeyIssuedV1):
            await self.collection.update_one(
                {"_id": event.key_id},
                {"$setOnInsert": _fields(ApiKey.from_event(event))},
                upsert=True,
            )
            # A revocation that came first made the document without the key's fields.
            await self.collection.update_one(
                {"_id": event.key_id, "secret_hash": {"$exists": False}},
                {"$set": _fields(ApiKey.from_event(event))},
            )
        elif isinstance(event, ApiKeyRevokedV1):
            await self.collection.update_one(
                {"_id": event.key_id},
                {"$set": {"revoked_at": event.revoked_at, "revoked_by": event.revoked_by}},
                upsert=True,
            )

    async def add_issued(self, key: ApiKey, envelopes: Sequence[Envelope], now: datetime) -> list:
        """Store a newly issued key with its event in the document's outbox; the entries."""
        extra, entries = outbox_fields(envelopes, now)
        try:
            await self.collection.insert_one({"_id": key.key_id, **_fields(key), **extra})
        except DuplicateKeyError:
            raise KeyIdTaken(key.key_id) from None
        return entries

    async def mark_revoked(
        self, key: ApiKey, envelopes: Sequence[Envelope], now: datetime
    ) -> list | None:
        """Record a revocation with its event; None if the key was revoked meanwhile."""
        push, entries = push_outbox(envelopes, now)
        result = await self.collection.update_one(
            {"_id": key.key_id, "revoked_at": None},
            {"$set": {"revoked_at": key.revoked_at, "revoked_by": key.revoked_by}, **push},
        )
        return entries if result.modified_count else None
