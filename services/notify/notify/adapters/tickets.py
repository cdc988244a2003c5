"""The ticket read model, fed by ticket.created.v1."""

from pymongo.asynchronous.database import AsyncDatabase

from notify.adapters import TICKETS
from notify.domain.tickets import TicketView
from ticketflow_shared.events import utcnow


class MongoTicketRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[TICKETS]

    async def add(self, ticket: TicketView) -> None:
        # $setOnInsert: the first ticket.created wins; a redelivered one changes nothing.
        await self.collection.update_one(
            {"_id": ticket.ticket_id},
            {
                "$setOnInsert": {
                    "customer_email": ticket.customer_email,
                    "customer_name": ticket.customer_name,
                    "subject": ticket.subject,
                    "category": ticket.category,
                    "recorded_at": utcnow(),
                }
            },
            upsert=True,
        )

    async def get(self, ticket_id: str) -> TicketView | None:
        doc = await self.collection.find_one({"_id": ticket_id})
        if doc is None:
            return None
        return TicketView(
            ticket_id=doc["_id"],
            customer_email=doc["customer_email"],
            customer_name=doc.get("customer_name"),
            subject=doc["subject"],
            category=doc["category"],
        )
