"""The ticket read model, fed by ticket.created.v1, with the ids of the ticket's deliveries.

Listing a ticket's deliveries reads this one document by `_id` and then each delivery by
`_id`: FerretDB answers only `_id` lookups from an index.
"""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from notify.adapters import TICKETS
from notify.domain.tickets import TicketView
from ticketflow_shared.events import utcnow

DELIVERY_IDS = "delivery_ids"
AGENT_DEPARTMENTS = "agent_departments"


class MongoTicketRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[TICKETS]

    async def add(self, ticket: TicketView, delivery_id: str) -> None:
        # $setOnInsert: the first ticket.created wins; a redelivered one changes nothing.
        await self.collection.update_one(
            {"_id": ticket.ticket_id},
            {
                "$setOnInsert": {
                    "customer_email": ticket.customer_email,
                    "customer_name": ticket.customer_name,
                    "subject": ticket.subject,
                    "category": ticket.category,
                    "department": ticket.department,
                    "created_by": ticket.created_by,
                    "recorded_at": utcnow(),
                },
                "$addToSet": {DELIVERY_IDS: delivery_id},
            },
            upsert=True,
        )

    async def get_noting(
        self, ticket_id: str, delivery_id: str, agent_department: str | None = None
    ) -> TicketView | None:
        noted: dict = {DELIVERY_IDS: delivery_id}
        if agent_department:
            noted[AGENT_DEPARTMENTS] = agent_department
        doc = await self.collection.find_one_and_update(
            {"_id": ticket_id},
            {"$addToSet": noted},
            return_document=ReturnDocument.AFTER,
        )  # no projection: FerretDB's findAndModify supports none that excludes a field
        return None if doc is None else _ticket(doc)

    async def deliveries_of(self, ticket_id: str) -> list[str]:
        doc = await self.collection.find_one({"_id": ticket_id}, {DELIVERY_IDS: 1})
        return list((doc or {}).get(DELIVERY_IDS) or [])

    async def get(self, ticket_id: str) -> TicketView | None:
        doc = await self.collection.find_one({"_id": ticket_id}, {DELIVERY_IDS: 0})
        return None if doc is None else _ticket(doc)


def _ticket(doc: dict) -> TicketView:
    return TicketView(
        ticket_id=doc["_id"],
        customer_email=doc["customer_email"],
        customer_name=doc.get("customer_name"),
        subject=doc["subject"],
        category=doc["category"],
        department=doc.get("department"),
        agent_departments=tuple(doc.get(AGENT_DEPARTMENTS) or ()),
        created_by=doc.get("created_by"),
    )
