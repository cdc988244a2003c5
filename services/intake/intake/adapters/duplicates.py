"""Duplicate detection's store: a customer's open tickets, and the decisions made.

The candidate query is one equality/`$in` filter on the customer and the status, which the
`customer_status` index answers (FerretDB uses an index only for such simple filters); the
window is applied by the domain in Python. Decisions live in a collection of their own,
keyed by the request's id, so the ticket document stays as it was.
"""

import json
from dataclasses import asdict
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from intake.adapters.documents import BODY, SUBJECT
from intake.domain.duplicates import OPEN_STATUSES, Candidate, DuplicateDecision
from intake.domain.ticket import TicketStatus
from ticketflow_shared.pii import FieldCipher

DUPLICATE_DECISIONS = "duplicate_decisions"
# The words are the customer's, sealed like the ticket's body.
WORDS = "ticket.duplicate.words"
TICKET_INDEXES = [
    IndexModel([("customer.customer_id", 1), ("status", 1)], name="customer_status"),
]
DECISION_INDEXES = [IndexModel([("ticket_id", 1)], name="ticket")]
# Stored before the lifecycle, still open: `assigned` reads as `open`.
_OPEN_VALUES = [status.value for status in OPEN_STATUSES] + ["assigned"]
_CANDIDATE_FIELDS = {"_id": 1, "status": 1, "created_at": 1, "subject": 1, "body": 1}
# How many of a customer's open tickets are compared at most: the newest, by creation.
MAX_CANDIDATES = 50


class MongoDuplicateStore:
    def __init__(
        self, tickets: AsyncCollection, decisions: AsyncCollection, cipher: FieldCipher
    ) -> None:
        self.tickets = tickets
        self.decisions = decisions
        self.cipher = cipher

    async def candidates(self, customer_id: str) -> list[Candidate]:
        query = {"customer.customer_id": customer_id, "status": {"$in": _OPEN_VALUES}}
        docs = await self.tickets.find(query, _CANDIDATE_FIELDS).to_list()
        docs.sort(key=lambda doc: doc["created_at"], reverse=True)
        return [self._candidate(doc) for doc in docs[:MAX_CANDIDATES]]

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
