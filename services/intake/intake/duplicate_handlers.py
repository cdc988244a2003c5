"""Detection at creation: a new request that repeats an open ticket of the same customer is
added to that ticket as the customer's message, and the decision is kept to explain it.

Store round trips per created ticket, all `_id` lookups: the customer's timeline document,
plus one read (together) of each of their tickets created within the window, when the
customer is known and detection is on; a keyed request also looks its decision up once (a
retry of a request that was joined finds it there). A join costs the ticket's load and save
and the decision's write, instead of the insert of a new ticket. The joined message is read for
emotion and counted as a contact on the loaded ticket, in the same save: no round trip more.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from intake.domain.commands import CreateTicket
from intake.domain.duplicates import (
    Candidate,
    DuplicateDecision,
    DuplicatePolicy,
    Match,
    decision_id,
    find_duplicate,
)
from intake.domain.emotion_escalation import escalate_on_message
from intake.domain.errors import ThreadFull, TicketClosed
from intake.domain.idempotency import IdempotencyRecord, ensure_same_request
from intake.domain.messages import MAX_BODY_CHARS, Message
from intake.domain.repeat_contact import DEFAULT_POLICY, RepeatContactPolicy
from intake.domain.ticket import Ticket
from intake.handlers import SERVICE, Clock, _change, sees_ticket
from intake.ports import TicketRepository
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import AuthorKind, Visibility

JOINED = "duplicate"  # what TicketMessageAddedV1.joined says of a joined request


class DuplicateStore(Protocol):
    async def candidates(self, customer_id: str, since: datetime) -> list[Candidate]: ...

    async def get(self, decision_id: str) -> DuplicateDecision | None: ...

    async def record(self, decision: DuplicateDecision) -> None: ...

    async def for_ticket(self, ticket_id: str) -> list[DuplicateDecision]: ...


@dataclass(frozen=True)
class Joined:
    ticket: Ticket
    decision: DuplicateDecision


@dataclass(frozen=True)
class DuplicateCheck:
    store: DuplicateStore
    tickets: TicketRepository
    policy: DuplicatePolicy
    repeat_contact: RepeatContactPolicy = DEFAULT_POLICY

    async def replayed(self, request_id: str, key: str, fingerprint: str) -> Joined | None:
        """The join a keyed request made before, if it was joined; IdempotencyConflict for the
        same key with another body."""
        decision = await self.store.get(decision_id(request_id))
        if decision is None:
            return None
        stored = IdempotencyRecord(decision.key or "", decision.request_fingerprint or "")
        ensure_same_request(stored, decision.ticket_id, key, fingerprint)
        ticket = await self.tickets.get(decision.ticket_id)
        return None if ticket is None else Joined(ticket, decision)

    async def join(
        self,
        command: CreateTicket,
        now_ms: Clock,
        keyed: tuple[str, IdempotencyRecord] | None = None,
        scope: Scope | None = None,
    ) -> Joined | None:
        """Add the request to the customer's open ticket it repeats; None to open a new one.
        `keyed` is a keyed request's own ticket id and its key and body's hash; with `scope`,
        only a ticket the caller may see is joined (an integration sees its own tickets)."""
        customer_id = command.customer.customer_id
        if not self.policy.enabled or not customer_id:
            return None
        now = now_ms()
        candidates = await self.store.candidates(customer_id, now - self.policy.window)
        if keyed is not None:  # a concurrent request with the same key opened it: a replay
            candidates = [c for c in candidates if c.ticket_id != keyed[0]]
        match = find_duplicate(
            command.subject, command.body, candidates, now=now, policy=self.policy
        )
        if match is None:
            return None
        if scope is not None and not await sees_ticket(self.tickets, match.ticket_id, scope):
            return None
        request_id, idempotency = keyed or (f"TF-{secrets.token_hex(8).upper()}", None)
        the_id = decision_id(request_id)
        try:
            ticket, message = await self._add(match, command, the_id, now_ms)
        except (TicketClosed, ThreadFull):  # closed since the query, or full: a new ticket
            return None
        decision = _decision(the_id, match, message, command, customer_id, idempotency)
        await self.store.record(decision)
        return Joined(ticket, decision)

    async def _add(
        self, match: Match, command: CreateTicket, the_id: str, now_ms: Clock
    ) -> tuple[Ticket, Message]:
        added: list[Message] = []

        def add(ticket: Ticket) -> bool:
            before, now = len(ticket.messages), now_ms()
            message = ticket.add_message(
                body=_message_text(command),
                visibility=Visibility.public,
                author=command.created_by or f"channel:{command.channel.value}",
                author_kind=AuthorKind.customer,
                author_name=command.customer.name,
                now=now,
                channel=command.channel.value,
                source_ref=the_id,
                attachments=command.attachments,
                joined=JOINED,
                external_refs=command.external_refs,
            )
            added.append(message)
            if len(ticket.messages) == before:  # a retry: escalated the first time, if at all
                return False
            escalate_on_message(ticket, message.body, self.repeat_contact, source=SERVICE, now=now)
            return True

        ticket = await _change(self.tickets, match.ticket_id, add)
        return ticket, added[-1]


def _message_text(command: CreateTicket) -> str:
    """The request as one message: its subject leads, as the customer wrote it, unless the
    body already starts with it (a chat message's subject is its first line)."""
    if command.body.lstrip().startswith(command.subject):
        return command.body[:MAX_BODY_CHARS]
    return f"{command.subject}\n\n{command.body}"[:MAX_BODY_CHARS]


def _decision(
    the_id: str,
    match: Match,
    message: Message,
    command: CreateTicket,
    customer_id: str,
    idempotency: IdempotencyRecord | None,
) -> DuplicateDecision:
    return DuplicateDecision(
        id=the_id,
        ticket_id=match.ticket_id,
        message_id=message.id,
        customer_id=customer_id,
        channel=command.channel.value,
        score=match.score,
        threshold=match.threshold,
        fingerprint=match.fingerprint.digest,
        words=match.fingerprint.summary,
        matched_fingerprint=match.matched_fingerprint.digest,
        matched_words=match.matched_fingerprint.summary,
        decided_at=message.at,
        key=idempotency.key if idempotency else None,
        request_fingerprint=idempotency.fingerprint if idempotency else None,
    )
