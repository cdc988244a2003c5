"""The ticket read model, fed by ticket.created.v1, with the ids of the ticket's deliveries
and its email thread (the Message-IDs of those emails, in the order they were made).

Listing a ticket's deliveries reads this one document by `_id` and then each delivery by
`_id`: FerretDB answers only `_id` lookups from an index. The customer's address and name
and the ticket's subject are sealed (`ticketflow_shared.pii`); a document from before
sealing holds them in clear text, which reads as it is until the start-up pass seals it.
"""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from notify.adapters import TICKETS
from notify.domain.deliveries import event_of
from notify.domain.tickets import TicketView
from ticketflow_shared.events import utcnow
from ticketflow_shared.pii import FieldCipher
from ticketflow_shared.resealing import MIGRATIONS, Update, reseal_once

DELIVERY_IDS = "delivery_ids"
THREAD = "thread"
PAGE_IDS = "page_ids"
AGENT_DEPARTMENTS = "agent_departments"
EMAIL = "notify.ticket.customer_email"
NAME = "notify.ticket.customer_name"
SUBJECT = "notify.ticket.subject"


class MongoTicketRepository:
    def __init__(self, db: AsyncDatabase, cipher: FieldCipher) -> None:
        self.collection = db[TICKETS]
        self.migrations = db[MIGRATIONS]
        self.cipher = cipher

    async def add(self, ticket: TicketView, delivery_id: str, message_id: str) -> None:
        # $setOnInsert: the first ticket.created wins; a redelivered one changes nothing.
        await self.collection.update_one(
            {"_id": ticket.ticket_id},
            {
                "$setOnInsert": {
                    **_sealed(ticket, self.cipher),
                    "category": ticket.category,
                    "department": ticket.department,
                    "created_by": ticket.created_by,
                    "recorded_at": utcnow(),
                },
                "$addToSet": {DELIVERY_IDS: delivery_id, THREAD: message_id},
            },
            upsert=True,
        )

    async def get_noting(
        self,
        ticket_id: str,
        delivery_id: str,
        message_id: str,
        agent_department: str | None = None,
    ) -> TicketView | None:
        # $addToSet keeps first-noted order and notes a redelivered event's email once, so
        # every copy of an event finds its email at the same place in the thread.
        noted: dict = {DELIVERY_IDS: delivery_id, THREAD: message_id}
        if agent_department:
            noted[AGENT_DEPARTMENTS] = agent_department
        doc = await self.collection.find_one_and_update(
            {"_id": ticket_id},
            {"$addToSet": noted},
            return_document=ReturnDocument.AFTER,
        )  # no projection: FerretDB's findAndModify supports none that excludes a field
        return None if doc is None else _ticket(doc, self.cipher)

    async def deliveries_of(self, ticket_id: str) -> list[str]:
        doc = await self.collection.find_one({"_id": ticket_id}, {DELIVERY_IDS: 1, PAGE_IDS: 1})
        return [*((doc or {}).get(DELIVERY_IDS) or []), *((doc or {}).get(PAGE_IDS) or [])]

    async def note_pages(self, ticket_id: str, delivery_ids: list[str]) -> None:
        """List a ticket's pages (internal mail) apart from its customer emails and thread."""
        await self.collection.update_one(
            {"_id": ticket_id}, {"$addToSet": {PAGE_IDS: {"$each": delivery_ids}}}
        )

    async def get(self, ticket_id: str) -> TicketView | None:
        doc = await self.collection.find_one(
            {"_id": ticket_id}, {DELIVERY_IDS: 0, THREAD: 0, PAGE_IDS: 0}
        )
        return None if doc is None else _ticket(doc, self.cipher)

    async def seal_stored(self) -> int:
        """Seal what was stored in clear text or under an older key (once per active key)."""
        return await reseal_once(
            self.collection,
            self.migrations,
            self.cipher,
            lambda doc: _resealed(doc, self.cipher),
            {DELIVERY_IDS: 0, THREAD: 0},
        )


def _sealed(ticket: TicketView, cipher: FieldCipher) -> dict[str, str | None]:
    return {
        "customer_email": cipher.seal(ticket.customer_email, EMAIL),
        "customer_name": cipher.seal_optional(ticket.customer_name, NAME),
        "subject": cipher.seal(ticket.subject, SUBJECT),
    }


def _resealed(doc: dict, cipher: FieldCipher) -> list[Update] | None:
    # Written once, on insert: nothing else changes these fields, so no guard.
    if cipher.is_current(doc["customer_email"]):
        return None
    return [({}, _sealed(_ticket(doc, cipher), cipher))]


def _ticket(doc: dict, cipher: FieldCipher) -> TicketView:
    thread = doc.get(THREAD) or []
    # Each email since threads were kept noted its delivery and its Message-ID together: the
    # deliveries beyond the thread's length were listed before it.
    delivery_ids = doc.get(DELIVERY_IDS) or []
    before = delivery_ids[: max(0, len(delivery_ids) - len(thread))]
    return TicketView(
        ticket_id=doc["_id"],
        customer_email=cipher.open(doc["customer_email"], EMAIL),
        customer_name=cipher.open_optional(doc.get("customer_name"), NAME),
        subject=cipher.open(doc["subject"], SUBJECT),
        category=doc["category"],
        department=doc.get("department"),
        agent_departments=tuple(doc.get(AGENT_DEPARTMENTS) or ()),
        created_by=doc.get("created_by"),
        thread=tuple(thread),
        emailed_before_threads=tuple(event_of(d) for d in before),
    )
