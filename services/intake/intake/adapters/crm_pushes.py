"""The pushes a CRM made, one document each under its key: the insert is the check that a
push is new, atomic on FerretDB as on MongoDB. `at` (indexed) is when the push was taken;
entries taken before the retention are forgotten a batch at a time."""

from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.domain.crm_pushes import CrmPush

CRM_PUSHES = "crm_pushes"
INDEXES = [IndexModel([("at", ASCENDING)])]


class MongoCrmPushes:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    async def take(self, push: CrmPush, now: datetime) -> CrmPush | None:
        """None when this call noted the push first; else the push noted under its key."""
        try:
            await self.collection.insert_one(
                {"_id": push.key, "fingerprint": push.fingerprint, "at": now}
            )
            return None
        except DuplicateKeyError:
            doc = await self.collection.find_one({"_id": push.key})
        if doc is None:  # released in between: taken as new
            return None
        return CrmPush(doc["_id"], doc["fingerprint"], doc.get("customer_id"), doc.get("ticket_id"))

    async def finish(self, key: str, customer_id: str, ticket_id: str | None) -> None:
        await self.collection.update_one(
            {"_id": key}, {"$set": {"customer_id": customer_id, "ticket_id": ticket_id}}
        )

    async def release(self, key: str) -> None:
        """Forget a push refused before it finished, so the CRM may send it corrected."""
        await self.collection.delete_one({"_id": key, "customer_id": {"$exists": False}})

    async def forget_taken_before(self, before: datetime, limit: int) -> int:
        """Drop at most `limit` entries taken before `before`; how many went. The delete
        checks the time again: a key released and taken anew since the read stays."""
        old = {"at": {"$lt": before}}
        docs = await self.collection.find(old, {"_id": 1}).limit(limit).to_list()
        if not docs:
            return 0
        ids = [doc["_id"] for doc in docs]
        result = await self.collection.delete_many({"_id": {"$in": ids}, **old})
        return result.deleted_count
