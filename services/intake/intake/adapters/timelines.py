"""Each customer's timeline: the entries filed under it and, beside them, what each ticket
shows on it (`TimelineTicket`), sealed as on the ticket.

One document per `customer_id`, read and written by `_id` only, so a profile reads its
timeline's tickets without reading a ticket. A ticket is filed, and its summary rewritten,
after each write of the ticket and before that write's outbox is flushed: a crash in
between leaves the outbox entries, and the relay's start sweep files the ticket again
(`MongoTicketRepository.refile`) before it publishes them. A summary whose messages were
too long to keep, or a ticket filed before summaries were kept, is read from the ticket.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.customers import TICKET_IDS, CustomerTickets
from intake.adapters.documents import EMAIL, NAME, SUBJECT
from intake.adapters.documents import MESSAGE_BODY as BODY
from intake.domain.customer_profiles import timeline_entry
from intake.domain.ticket import TicketStatus
from intake.domain.timelines import TimelineMessage, TimelineTicket
from intake.ports import Filed
from ticketflow_shared.events import AuthorKind, Channel
from ticketflow_shared.pii import FieldCipher

SUMMARIES = "summaries"
# Past this many characters of messages a ticket is shown from the ticket itself, so that a
# customer's timeline document stays small however long its threads grow.
MESSAGES_KEPT_CHARS = 16_000


class MongoTimelines(CustomerTickets):
    def __init__(
        self, collection: AsyncCollection, migrations: AsyncCollection, cipher: FieldCipher
    ) -> None:
        super().__init__(collection, migrations)
        self.cipher = cipher

    async def file(self, customer_id: str, ticket: TimelineTicket) -> None:
        """File the ticket under the customer and keep its summary, in one write."""
        update: dict[str, Any] = {
            "$addToSet": {TICKET_IDS: timeline_entry(ticket.created_at, ticket.id)}
        }
        if _usable_key(ticket.id):
            update["$set"] = {f"{SUMMARIES}.{ticket.id}": self.summary(ticket)}
        await self.collection.update_one({"_id": customer_id}, update, upsert=True)

    async def filed(self, customer_id: str) -> Filed:
        doc = await self.collection.find_one({"_id": customer_id})
        if doc is None:
            return Filed()
        return Filed(list(doc.get(TICKET_IDS) or []), dict(doc.get(SUMMARIES) or {}))

    def opened(self, summary: dict[str, Any]) -> TimelineTicket | None:
        """The summary as the timeline shows it; None if it keeps no messages."""
        if summary.get("messages") is None:
            return None
        open_ = self.cipher.open
        return TimelineTicket(
            id=summary["id"],
            status=TicketStatus(summary["status"]),
            channel=Channel(summary["channel"]),
            subject=open_(summary["subject"], SUBJECT),
            created_at=summary["created_at"],
            departments=frozenset(summary.get("departments") or ()),
            created_by=summary.get("created_by"),
            customer_name=self.cipher.open_optional(summary.get("name"), NAME),
            customer_email=self.cipher.open_optional(summary.get("email"), EMAIL),
            messages=tuple(
                TimelineMessage(AuthorKind(m["author_kind"]), open_(m["body"], BODY), m["at"])
                for m in summary["messages"]
            ),
            version=summary.get("version", 0),
        )

    def summary(self, ticket: TimelineTicket) -> dict[str, Any]:
        """The ticket's summary as stored, sealed; without messages when they are too long."""
        seal = self.cipher.seal
        messages: tuple[TimelineMessage, ...] | None = ticket.messages
        if sum(len(m.body) for m in ticket.messages) > MESSAGES_KEPT_CHARS:
            messages = None
        return {
            "id": ticket.id,
            "status": ticket.status.value,
            "channel": ticket.channel.value,
            "subject": seal(ticket.subject, SUBJECT),
            "created_at": ticket.created_at,
            "departments": sorted(ticket.departments),
            "created_by": ticket.created_by,
            "name": self.cipher.seal_optional(ticket.customer_name, NAME),
            "email": self.cipher.seal_optional(ticket.customer_email, EMAIL),
            "messages": None
            if messages is None
            else [
                {"author_kind": m.author_kind.value, "body": seal(m.body, BODY), "at": m.at}
                for m in messages
            ],
            "version": ticket.version,
        }


def _usable_key(ticket_id: str) -> bool:
    """Whether the id can name a field: intake's ids always can."""
    return "." not in ticket_id and not ticket_id.startswith("$") and "\0" not in ticket_id
