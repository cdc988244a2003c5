"""Each customer's ticket ids, in one document keyed by the blind index of the customer's address.

Listing a customer's tickets is then a handful of `_id` lookups: FerretDB pushes only a bare
`{_id: v}` filter down to SQLite, so filtering tickets by `customer_email` reads the whole
collection. The id goes in before its ticket is inserted, so a crash in between leaves at
most an id without a ticket, which the listing skips. The key is the address's keyed hash
(`FieldCipher.blind_index`), never the address: documents of a store from before sealing,
keyed by the address itself, are dropped once the index is built again from sealed tickets.
"""

from collections import defaultdict

from pymongo.asynchronous.collection import AsyncCollection

from ticketflow_shared.events import utcnow
from ticketflow_shared.pii import is_blind_index

CUSTOMERS = "customers"
MIGRATIONS = "migrations"
TICKET_IDS = "ticket_ids"
_BUILT = "customer_ticket_ids:blind_index"


class CustomerTickets:
    def __init__(self, collection: AsyncCollection, migrations: AsyncCollection) -> None:
        self.collection = collection
        self.migrations = migrations

    async def remember(self, customer: str, ticket_id: str) -> None:
        """File the id under the customer once; a replayed create adds nothing."""
        # One atomic update; on a duplicate key MongoDB retries an upsert on `_id` by itself.
        await self.collection.update_one(
            {"_id": customer}, {"$addToSet": {TICKET_IDS: ticket_id}}, upsert=True
        )

    async def ticket_ids(self, customer: str) -> list[str]:
        """The ids filed under the customer, in filing order; some may have no ticket."""
        doc = await self.collection.find_one({"_id": customer}, {TICKET_IDS: 1})
        return list(doc.get(TICKET_IDS) or []) if doc else []

    async def build_from(self, tickets: AsyncCollection) -> int:
        """File every stored ticket once, for a store written before this index (or before
        its keys were blind indexes) existed; then drop the documents keyed by an address.

        Run after the tickets are sealed. Safe to repeat and to run beside new creates;
        returns how many tickets it filed.
        """
        if await self.migrations.find_one({"_id": _BUILT}, {"_id": 1}) is not None:
            return 0
        by_customer: dict[str, list[str]] = defaultdict(list)
        cursor = tickets.find({}, {"customer_email": 1}).sort("created_at", 1)
        async for doc in cursor:
            if is_blind_index(doc["customer_email"]):
                by_customer[doc["customer_email"]].append(doc["_id"])
        for customer, ids in by_customer.items():
            await self.collection.update_one(
                {"_id": customer}, {"$addToSet": {TICKET_IDS: {"$each": ids}}}, upsert=True
            )
        await self._drop_address_keys()
        await self.migrations.update_one(
            {"_id": _BUILT}, {"$set": {"done_at": utcnow()}}, upsert=True
        )
        return sum(len(ids) for ids in by_customer.values())

    async def _drop_address_keys(self) -> None:
        # One `_id` delete each: FerretDB would read the whole collection for a regex filter.
        stale = [doc["_id"] async for doc in self.collection.find({}, {"_id": 1})]
        for key in stale:
            if not is_blind_index(key):
                await self.collection.delete_one({"_id": key})
