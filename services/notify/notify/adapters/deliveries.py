"""Delivery documents: natural `_id` per event and channel, state guarded in each update.

The recipient, the email's text and what mail servers answered (which may quote the address)
are sealed per field (`ticketflow_shared.pii`); clear text from before sealing reads as it is.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from notify.adapters import DELIVERIES, DELIVERY_ATTEMPTS
from notify.domain.deliveries import CHANNEL, Delivery, DeliveryStatus
from ticketflow_shared import outbox
from ticketflow_shared.access.principal import Scope, scope_filter
from ticketflow_shared.events import Envelope
from ticketflow_shared.pii import FieldCipher
from ticketflow_shared.resealing import MIGRATIONS, Update, reseal_once
from ticketflow_shared.serialized import ahead_of_queued_writes
from ticketflow_shared.vouching import vouched_for

_ATTEMPT_FIELDS = ("status", "attempts", "abandoned_attempts", "leased_until", "updated_at")
# Field -> purpose, for every field a delivery document seals.
SEALED = {
    "recipient": "notify.delivery.recipient",
    "recipient_name": "notify.delivery.recipient_name",
    "subject": "notify.delivery.subject",
    "body": "notify.delivery.body",
    "error": "notify.delivery.error",
    "smtp_response": "notify.delivery.smtp_response",
}
# Written once, on insert; the others change with each attempt.
_SEALED_ONCE = ("recipient", "recipient_name", "subject", "body")
# Past this many unfinished attempts remembered, the memory starts again (it only saves reads).
_ATTEMPTS_KEPT = 10_000


EVERYTHING = Scope(everything=True)


class MongoDeliveryRepository:
    def __init__(self, db: AsyncDatabase, cipher: FieldCipher) -> None:
        self.collection = db[DELIVERIES]
        self.attempts = db[DELIVERY_ATTEMPTS]
        self.migrations = db[MIGRATIONS]
        self.cipher = cipher
        # Attempts this process began (by insert or claim) that no "sent" has ended since, by
        # delivery: while one is here, nothing can have marked its delivery sent but this
        # process, so its "sent" may be written without the read that checks (`vouched_for`).
        self._attempts_here: dict[str, set[int]] = {}

    async def add(self, delivery: Delivery) -> bool:
        try:
            await self.collection.insert_one(self._to_doc(delivery))
        except DuplicateKeyError:
            return False
        self._began(delivery)
        return True

    async def get(self, delivery_id: str) -> Delivery | None:
        doc = await self.collection.find_one({"_id": delivery_id}, {outbox.OUTBOX: 0})
        return None if doc is None else self._from_doc(doc)

    async def claim(
        self, delivery: Delivery, expected_attempts: int, *, stale_before: datetime
    ) -> bool:
        if not await self._elect(delivery, stale_before):
            return False
        result = await self.collection.update_one(
            {
                "_id": delivery.id,
                "attempts": expected_attempts,
                "status": {"$ne": DeliveryStatus.sent.value},
            },
            {"$set": self._fields(delivery, *_ATTEMPT_FIELDS)},
        )
        if result.matched_count != 1:
            return False
        self._began(delivery)
        return True

    def _began(self, delivery: Delivery) -> None:
        if delivery.status is not DeliveryStatus.pending:
            return
        if len(self._attempts_here) >= _ATTEMPTS_KEPT:
            self._attempts_here.clear()
        self._attempts_here.setdefault(delivery.id, set()).add(delivery.attempts)

    def _unsent_here(self, delivery: Delivery) -> bool:
        return delivery.attempts in self._attempts_here.get(delivery.id, ())

    async def _elect(self, delivery: Delivery, stale_before: datetime) -> bool:
        """Insert the attempt's own document; False while another live copy holds its number."""
        # FerretDB's conditional updates are not atomic across processes, but a unique
        # insert is: one document per attempt number elects the copy that makes it.
        while True:
            attempt_id = f"{delivery.id}#{delivery.attempts}"
            try:
                await self.attempts.insert_one({"_id": attempt_id, "began_at": delivery.updated_at})
                return True
            except DuplicateKeyError:
                holder = await self.attempts.find_one({"_id": attempt_id})
            if holder is None or holder["began_at"] > stale_before:
                return False  # a live copy holds this number: the caller waits and looks again
            # Its copy died between this insert and the delivery update. Skipping the number
            # (rather than deleting the document) keeps the election a plain unique insert.
            delivery.skip_abandoned_attempt()

    async def save_unsent(self, delivery: Delivery) -> None:
        # Only this attempt's own outcome: a newer attempt or a success is left alone.
        await self.collection.update_one(
            {
                "_id": delivery.id,
                "attempts": delivery.attempts,
                "status": DeliveryStatus.pending.value,
            },
            {"$set": self._fields(delivery, *_ATTEMPT_FIELDS, "error")},
        )
        self._attempts_here.get(delivery.id, set()).discard(delivery.attempts)

    async def save_sent(self, delivery: Delivery, envelopes: Sequence[Envelope]) -> list[dict]:
        pushed, entries = outbox.push_outbox(envelopes)
        fields = self._fields(delivery, *_ATTEMPT_FIELDS, "error", "sent_at", "smtp_response")
        state = {"$set": fields}
        # The email is out: until this write lands a crash sends it again, so it does not
        # queue behind this process's other delivery writes (a backlog's inserts, mostly).
        try:
            with ahead_of_queued_writes(), vouched_for(lambda: self._unsent_here(delivery)):
                result = await self.collection.update_one(
                    {"_id": delivery.id, "status": {"$ne": DeliveryStatus.sent.value}},
                    outbox.merge_updates(state, pushed),
                )
        finally:
            self._attempts_here.pop(delivery.id, None)  # sent now, or possibly: check again
        # Not matched: an overlapping attempt marked it sent and recorded the event already.
        return entries if result.matched_count == 1 else []

    async def find(
        self,
        *,
        ids: Sequence[str] | None,
        status: DeliveryStatus | None,
        limit: int,
        scope: Scope = EVERYTHING,
    ) -> list[Delivery]:
        if ids is not None:
            return await self._by_ids(ids, status, limit)
        query: dict[str, Any] = scope_filter(scope)
        if status is not None:
            query["status"] = status.value
        cursor = (
            self.collection.find(query, {outbox.OUTBOX: 0})
            .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [self._from_doc(doc) async for doc in cursor]

    async def _by_ids(
        self, ids: Sequence[str], status: DeliveryStatus | None, limit: int
    ) -> list[Delivery]:
        # One `_id` lookup each (a ticket has a handful): `$in` would scan on FerretDB.
        found = [delivery for delivery_id in ids if (delivery := await self.get(delivery_id))]
        found = [d for d in found if status is None or d.status is status]
        return sorted(found, key=lambda d: (d.created_at, d.id))[:limit]

    async def seal_stored(self) -> int:
        """Seal what was stored in clear text or under an older key (once per active key)."""
        return await reseal_once(
            self.collection, self.migrations, self.cipher, self._resealed, {outbox.OUTBOX: 0}
        )

    def _resealed(self, doc: dict[str, Any]) -> list[Update] | None:
        if self.cipher.is_current(doc["recipient"]):
            return None
        fresh = self._to_doc(self._from_doc(doc))
        return [
            ({}, {name: fresh[name] for name in _SEALED_ONCE}),
            # An attempt meanwhile wrote its own outcome, sealed: leave it.
            ({"updated_at": doc["updated_at"]}, self._fields_of(fresh, "error", "smtp_response")),
        ]

    def _fields(self, delivery: Delivery, *names: str) -> dict[str, Any]:
        return self._fields_of(self._to_doc(delivery), *names)

    @staticmethod
    def _fields_of(doc: dict[str, Any], *names: str) -> dict[str, Any]:
        return {name: doc[name] for name in names}

    def _to_doc(self, delivery: Delivery) -> dict[str, Any]:
        doc = _plain_doc(delivery)
        for name, purpose in SEALED.items():
            doc[name] = self.cipher.seal_optional(doc[name], purpose)
        return doc

    def _from_doc(self, doc: dict[str, Any]) -> Delivery:
        opened = {name: self.cipher.open_optional(doc.get(name), p) for name, p in SEALED.items()}
        return _delivery({**doc, **opened})


def _plain_doc(delivery: Delivery) -> dict[str, Any]:
    return {
        "_id": delivery.id,
        "channel": CHANNEL,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "template": delivery.template,
        "ticket_id": delivery.ticket_id,
        "recipient": delivery.recipient,
        "recipient_name": delivery.recipient_name,
        "subject": delivery.subject,
        "body": delivery.body,
        "message_id": delivery.message_id,
        "in_reply_to": delivery.in_reply_to,
        "references": list(delivery.references),
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "leased_until": delivery.leased_until,
        "error": delivery.error,
        "sent_at": delivery.sent_at,
        "smtp_response": delivery.smtp_response,
        "abandoned_attempts": delivery.abandoned_attempts,
        "departments": sorted(delivery.departments),
        "created_by": delivery.created_by,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    }


def _delivery(doc: dict[str, Any]) -> Delivery:
    return Delivery(
        id=doc["_id"],
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        ticket_id=doc["ticket_id"],
        recipient=doc["recipient"],
        recipient_name=doc.get("recipient_name"),
        subject=doc["subject"],
        body=doc["body"],
        message_id=doc["message_id"],
        template=doc.get("template", ""),
        in_reply_to=doc.get("in_reply_to"),
        references=tuple(doc.get("references") or ()),
        created_at=doc["created_at"],
        leased_until=doc["leased_until"],
        updated_at=doc["updated_at"],
        status=DeliveryStatus(doc["status"]),
        attempts=doc["attempts"],
        error=doc.get("error"),
        sent_at=doc.get("sent_at"),
        smtp_response=doc.get("smtp_response"),
        abandoned_attempts=doc.get("abandoned_attempts", 0),
        departments=frozenset(doc.get("departments") or ()),
        created_by=doc.get("created_by"),
    )
