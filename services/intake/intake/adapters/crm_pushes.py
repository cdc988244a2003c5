"""The pushes a CRM made, one document each under its key: the insert is the check that a
push is new, atomic on FerretDB as on MongoDB."""

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.domain.crm_pushes import CrmPush

CRM_PUSHES = "crm_pushes"


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
