"""Intake's service layer for chat: one open ticket per conversation, each message once; a new
conversation repeating an open ticket of the same customer joins that ticket."""

import asyncio
from dataclasses import dataclass
from typing import Protocol

from intake import handlers
from intake.conversation import post_channel_message
from intake.customer_linking import CustomerIdentities
from intake.domain.chat import ChatMessage
from intake.domain.commands import CreateTicket
from intake.domain.customer_identities import chat_identity
from intake.domain.duplicates import decision_id
from intake.domain.idempotency import ticket_id_for_key
from intake.domain.messages import Message, with_source
from intake.domain.repeat_contact import DEFAULT_POLICY, RepeatContactPolicy
from intake.domain.ticket import Ticket
from intake.duplicate_handlers import DuplicateCheck
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


@dataclass(frozen=True)
class ChatReceived:
    """Where the message went; `message` is None when it opened the ticket (its body).
    `duplicate_of` is set when it opened the conversation and joined the customer's open
    ticket about the same problem instead."""

    ticket: Ticket
    message: Message | None
    replayed: bool
    duplicate_of: str | None = None


@dataclass(frozen=True)
class ChatInbox:
    tickets: TicketRepository
    categories: CategoryRepository
    conversations: ChatConversations
    identities: CustomerIdentities
    category: str
    clock: Clock = now_ms
    triager: Triager | None = None
    duplicates: DuplicateCheck | None = None  # a new conversation repeating an open ticket
    repeat_contact: RepeatContactPolicy = DEFAULT_POLICY  # messages count as contacts

    async def receive(self, message: ChatMessage) -> ChatReceived:
        """Into the conversation's ticket, or, for a new conversation, the customer's open
        ticket it repeats or a new one; a closed ticket's conversation goes on in its
        follow-up."""
        own_id = ticket_id_for_key(message.event_id, CHAT_ACTOR)
        opened = await self.tickets.get(own_id)
        if opened is not None:  # this very event opened a ticket before
            return ChatReceived(opened, None, replayed=True)
        key = message.conversation_key()
        ticket_id = await self.conversations.ticket_of(key)
        if ticket_id is None:
            ticket_id = await self.conversations.claim(key, own_id)
        ticket = None if ticket_id == own_id else await self._winners(key, ticket_id)
        if ticket is None:
            if ticket_id != own_id:  # the claimant never wrote its ticket: take over
                await self.conversations.move(key, ticket_id, own_id)
            return await self._open(key, own_id, message)
        return await self._join(key, own_id, ticket, message)

    async def _open(self, key: str, own_id: str, message: ChatMessage) -> ChatReceived:
        """A new ticket, or the customer's open ticket the message repeats: the conversation
        then points there, so its later messages join it too."""
        created = await handlers.create_ticket(
            self._new_ticket(message),
            self.tickets,
            self.categories,
            self.clock,
            identities=self.identities,
            triager=self.triager,
            duplicates=self.duplicates,
            also_named=[chat_identity(message.workspace, message.user.id)],
        )
        if created.duplicate is None:
            return ChatReceived(created.ticket, None, created.replayed)
        await self.conversations.move(key, own_id, created.ticket.id)
        joined = with_source(created.ticket.messages, created.duplicate.id)
        return ChatReceived(created.ticket, joined, created.replayed, created.ticket.id)

    async def _join(
        self, key: str, own_id: str, ticket: Ticket, message: ChatMessage
    ) -> ChatReceived:
        # This event opened the conversation and joined the ticket as a repeat before.
        joined = with_source(ticket.messages, decision_id(own_id))
        if joined is not None:
            return ChatReceived(ticket, joined, replayed=True, duplicate_of=ticket.id)
        earlier = with_source(ticket.messages, message.event_id)
        posted = await post_channel_message(
            self.tickets,
            self.categories,
            ticket,
            body=message.text,
            channel=Channel.chat,
            source_ref=message.event_id,
            clock=self.clock,
            repeat=self.repeat_contact,
        )
        if posted.ticket.id != ticket.id:
            await self.conversations.move(key, ticket.id, posted.ticket.id)
        return ChatReceived(posted.ticket, posted.message, replayed=earlier is not None)

    async def _winners(self, key: str, ticket_id: str) -> Ticket | None:
        """The ticket a concurrent first message claimed the conversation for, once written,
        or the open ticket that message joined (the conversation moved there)."""
        for pause in (0, *WINNER_WAIT_SECONDS):
            await asyncio.sleep(pause)
            ticket = await self.tickets.get(ticket_id)
            if ticket is not None:
                return ticket
            moved = await self.conversations.ticket_of(key)
            if moved is not None and moved != ticket_id:
                ticket_id = moved
                ticket = await self.tickets.get(moved)
                if ticket is not None:
                    return ticket
        return None

    def _new_ticket(self, message: ChatMessage) -> CreateTicket:
        """The ticket a new conversation asks for; its customer is linked (by the chat user,
        address and phone) when the ticket is made."""
        user = message.user
        subject = message.text.strip().splitlines()[0][:SUBJECT_LIMIT]
        return CreateTicket(
            channel=Channel.chat,
            customer=Customer(name=user.name, email=user.email, phone=user.phone),
            subject=subject,
            body=message.text,
            fallback_category=self.category,  # triage may choose another
            idempotency_key=message.event_id,
            created_by=CHAT_ACTOR,
        )
