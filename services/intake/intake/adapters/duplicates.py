"""Duplicate detection's store: a customer's recent open tickets, and the decisions made.

FerretDB 1.24 sends only a bare `{_id: v}` filter to SQLite (README, "The local store"), so
the candidates are found by `_id` alone: the customer's timeline document (every ticket of
theirs, filed by creation time) gives the ids created within the window, and only those
tickets are read, by `_id`, together. On MongoDB the same lookups are as cheap. Decisions
live in a collection of their own, keyed by the request's id, so the ticket stays as it was.
"""

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.customers import CustomerTickets
from intake.adapters.documents import BODY, SUBJECT
from intake.domain.customer_profiles import entry_ticket_id
from intake.domain.duplicates import Candidate, DuplicateDecision
from intake.domain.ticket import TicketStatus
from ticketflow_shared.pii import FieldCipher

DUPLICATE_DECISIONS = "duplicate_decisions"
# The words are the customer's, sealed like the ticket's body.
WORDS = "ticket.duplicate.words"
DECISION_INDEXES = [IndexModel([("ticket_id", 1)], name="ticket")]
_CANDIDATE_FIELDS = {"_id": 1, "status": 1, "created_at": 1, "subject": 1, "body": 1}
# How many of a customer's tickets created within the window are read at most: the newest.
MAX_CANDIDATES = 20


class MongoDuplicateStore:
    def __init__(
        self,
        tickets: AsyncCollection,
        timelines: CustomerTickets,
        decisions: AsyncCollection,
        cipher: FieldCipher,
    ) -> None:
        self.tickets = tickets
        self.timelines = timelines
        self.decisions = decisions
        self.cipher = cipher

    async def candidates(self, customer_id: str, since: datetime) -> list[Candidate]:
        """The customer's tickets filed at or after `since`, newest first, in any status."""
        entries = await self.timelines.ticket_ids(customer_id)
        recent = sorted((e for e in entries if _filed_at(e) >= since), reverse=True)
        ids = [entry_ticket_id(entry) for entry in recent[:MAX_CANDIDATES]]
        lookups = (self.tickets.find_one({"_id": i}, _CANDIDATE_FIELDS) for i in ids)
        docs = await asyncio.gather(*lookups)
        return [self._candidate(doc) for doc in docs if doc is not None]

    async def get(self, decision_id: str) -> DuplicateDecision | None:
        doc = await self.decisions.find_one({"_id": decision_id})
        return self._decision(doc) if doc else None

    async def record(self, decision: DuplicateDecision) -> None:
        doc = {**asdict(decision), "_id": decision.id}
        del doc["id"]
        for name in ("words", "matched_words"):
            doc[name] = self.cipher.seal(json.dumps(doc[name], ensure_ascii=False), WORDS)
        await self.decisions.replace_one({"_id": decision.id}, doc, upsert=True)

    async def for_ticket(self, ticket_id: str) -> list[DuplicateDecision]:
        docs = await self.decisions.find({"ticket_id": ticket_id}).to_list()
        return sorted((self._decision(doc) for doc in docs), key=lambda d: d.decided_at)

    def _candidate(self, doc: dict[str, Any]) -> Candidate:
        return Candidate(
            ticket_id=doc["_id"],
            status=TicketStatus(doc["status"]),
            created_at=doc["created_at"],
            subject=self.cipher.open(doc["subject"], SUBJECT),
            body=self.cipher.open(doc["body"], BODY),
        )

    def _decision(self, doc: dict[str, Any]) -> DuplicateDecision:
        fields = {name: value for name, value in doc.items() if name != "_id"}
        for name in ("words", "matched_words"):
            fields[name] = json.loads(self.cipher.open(fields[name], WORDS))
        return DuplicateDecision(id=doc["_id"], **fields)


def _filed_at(entry: str) -> datetime:
    """When a timeline entry's ticket was created (`timeline_entry` writes it in UTC)."""
    stamp = entry.partition("|")[0]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
