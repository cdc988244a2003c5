"""Reads across tickets for handoffs: what an agent follows, what a department is consulted
on. Both filter on plain fields the ticket document keeps for them (`followers`,
`consults_open`, `consults_answered`)."""

from typing import Any, Literal

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.documents import from_document
from intake.domain.ticket import Ticket
from ticketflow_shared import outbox
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.pii import FieldCipher

INDEXES = [
    IndexModel([("followers", 1), ("updated_at", DESCENDING)], name="followers_updated"),
    IndexModel([("consults_open", 1), ("updated_at", DESCENDING)], name="consults_open_updated"),
]
_READ_PROJECTION = {outbox.OUTBOX: 0, outbox.OUTBOX_SINCE: 0}


class MongoHandoffViews:
    def __init__(self, collection: AsyncCollection, cipher: FieldCipher) -> None:
        self.collection = collection
        self.cipher = cipher

    async def followed_by(self, agent_id: str, limit: int) -> tuple[list[Ticket], int]:
        return await self._find({"followers": agent_id}, limit)

    async def consulting(
        self, scope: Scope, status: Literal["open", "answered"], limit: int
    ) -> tuple[list[Ticket], int]:
        field = f"consults_{status}"
        if scope.everything:
            query: dict[str, Any] = {f"{field}.0": {"$exists": True}}
        else:
            query = {field: {"$in": sorted(scope.departments)}}
        return await self._find(query, limit)

    async def _find(self, query: dict[str, Any], limit: int) -> tuple[list[Ticket], int]:
        cursor = self.collection.find(query, _READ_PROJECTION)
        docs = await cursor.sort("updated_at", DESCENDING).limit(limit).to_list()
        total = await self.collection.count_documents(query)
        return [from_document(doc, self.cipher) for doc in docs], total
