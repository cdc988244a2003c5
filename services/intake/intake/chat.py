"""Intake's service layer for chat: one open ticket per conversation, each message once."""

import asyncio
from dataclasses import dataclass
from typing import Protocol

from intake import handlers
from intake.conversation import post_channel_message
from intake.customer_linking import identities_of, new_customer_id
from intake.domain.chat import ChatMessage
from intake.domain.commands import CreateTicket
from intake.domain.customer_identities import chat_identity
from intake.domain.idempotency import ticket_id_for_key
from intake.domain.messages import Message, with_source
from intake.domain.ticket import Ticket
from intake.handlers import Clock, now_ms
from intake.ports import CategoryRepository, TicketRepository
from intake.triage_step import Triager
from ticketflow_shared.events import Channel, Customer

CHAT_ACTOR = "channel:chat"
SUBJECT_LIMIT = 200
# How long a message that lost the race for a new conversation waits for the winner's ticket.
WINNER_WAIT_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8)


class ChatConversations(Protocol):
    async def ticket_of(self, key: str) -> str | None: ...
    async def claim(self, key: str, ticket_id: str) -> str: ...
    async def move(self, key: str, old_ticket_id: str, new_ticket_id: str) -> None: ...


class ChatIdentities(Protocol):
    async def resolve(self, identities: list, new_id: str, now) -> tuple[str, bool]: ...


@dataclass(frozen=True)
class ChatReceived:
    """Where the message went; `message` is None when it opened the ticket (its body)."""

    ticket: Ticket
    message: Message | None
    replayed: bool


@dataclass(frozen=True)
class ChatInbox:
    tickets: TicketRepository
    categories: CategoryRepository
    conversations: ChatConversations
    identities: ChatIdentities
    category: str
    clock: Clock = now_ms
    triager: Triager | None = None

    async def receive(self, message: ChatMessage) -> ChatReceived:
        """Into the conversation's ticket, or a new one for a new conversation; a closed
        ticket's conversation goes on in its follow-up."""
        own_id = ticket_id_for_key(message.event_id, CHAT_ACTOR)
        opened = await self.tickets.get(own_id)
        if opened is not None:  # this very event opened a ticket before
            return ChatReceived(opened, None, replayed=True)
        key = message.conversation_key()
        ticket_id = await self.conversations.ticket_of(key)
        if ticket_id is None:
            ticket_id = await self.conversations.claim(key, own_id)
        ticket = None if ticket_id == own_id else await self._winners(ticket_id)
        if ticket is None:
            if ticket_id != own_id:  # the claimant never wrote its ticket: take over
                await self.conversations.move(key, ticket_id, own_id)
            created = await handlers.create_ticket(
                await self._new_ticket(message),
                self.tickets,
                self.categories,
                self.clock,
                triager=self.triager,
            )
            return ChatReceived(created.ticket, None, created.replayed)
        return await self._join(key, ticket, message)

    async def _join(self, key: str, ticket: Ticket, message: ChatMessage) -> ChatReceived:
        earlier = with_source(ticket.messages, message.event_id)
        posted = await post_channel_message(
            self.tickets,
            self.categories,
            ticket,
            body=message.text,
            channel=Channel.chat,
            source_ref=message.event_id,
            clock=self.clock,
        )
        if posted.ticket.id != ticket.id:
            await self.conversations.move(key, ticket.id, posted.ticket.id)
        return ChatReceived(posted.ticket, posted.message, replayed=earlier is not None)

    async def _winners(self, ticket_id: str) -> Ticket | None:
        """The ticket a concurrent first message claimed the conversation for, once written."""
        for pause in (0, *WINNER_WAIT_SECONDS):
            await asyncio.sleep(pause)
            ticket = await self.tickets.get(ticket_id)
            if ticket is not None:
                return ticket
        return None

    async def _new_ticket(self, message: ChatMessage) -> CreateTicket:
        user = message.user
        customer = Customer(name=user.name, email=user.email, phone=user.phone)
        known = [chat_identity(message.workspace, user.id), *identities_of(customer)]
        customer_id, _ = await self.identities.resolve(known, new_customer_id(), self.clock())
        subject = message.text.strip().splitlines()[0][:SUBJECT_LIMIT]
        return CreateTicket(
            channel=Channel.chat,
            customer=customer.model_copy(update={"customer_id": customer_id}),
            subject=subject,
            body=message.text,
            fallback_category=self.category,  # triage may choose another
            idempotency_key=message.event_id,
            created_by=CHAT_ACTOR,
        )
