"""Intake's service layer for inbound email: a new ticket, or a customer's answer joining the
ticket it names; automatic mail dropped. The webhook and the SMTP listener both come here."""

import asyncio
from dataclasses import dataclass
from typing import Protocol

from intake import handlers
from intake.adapters.email_parser import ParsedEmail, parse_email
from intake.conversation import post_channel_message
from intake.customer_linking import CustomerIdentities
from intake.domain.attachments import AttachmentRef, AttachmentRules, kept_attachments
from intake.domain.commands import CreateTicket
from intake.domain.email_threads import Reference, ticket_references, trim_quoted
from intake.domain.messages import MAX_BODY_CHARS, Message, with_source
from intake.domain.repeat_contact import DEFAULT_POLICY, RepeatContactPolicy
from intake.domain.ticket import Ticket
from intake.duplicate_handlers import DuplicateCheck
from intake.handlers import Clock, now_ms
from intake.ports import CategoryRepository, TicketRepository
from intake.triage_step import Triager
from ticketflow_shared.events import Channel, Customer

EMAIL_ACTOR = "channel:email"
SUBJECT_LIMIT = 200
BODY_LIMIT = 5_000


class AttachmentStore(Protocol):
    async def keep(
        self, ticket_id: str, message_id: str | None, ref: AttachmentRef, content: bytes
    ) -> None: ...


@dataclass(frozen=True)
class Dropped:
    """Automatic mail (auto-reply, bounce, list): taken, and nothing made of it."""

    reason: str


@dataclass(frozen=True)
class EmailReceived:
    """Where a mail went. Threaded: into `ticket`'s thread as `message` (None when the ticket
    was closed and the mail opened its follow-up, `ticket`); else `ticket` is a new one."""

    ticket: Ticket
    message: Message | None
    replayed: bool
    threaded: bool
    notes: tuple[str, ...]
    attachments: tuple[AttachmentRef, ...] = ()
    duplicate_of: str | None = None  # a new request joined to this open ticket of the sender


@dataclass
class EmailInbox:
    tickets: TicketRepository
    categories: CategoryRepository
    category: str
    message_id_domain: str
    attachments: AttachmentStore
    attachment_rules: AttachmentRules
    clock: Clock = now_ms
    triager: Triager | None = None  # the stored rules and classifier choose the category
    identities: CustomerIdentities | None = None  # the sender's unified customer
    duplicates: DuplicateCheck | None = None  # a repeat of an open ticket joins it
    repeat_contact: RepeatContactPolicy = DEFAULT_POLICY  # answers count as contacts

    async def take(self, raw: bytes) -> EmailReceived | Dropped:
        """One raw message; MalformedEmail when it cannot be read. Parsed off the event loop:
        a 25 MB mail takes a while to decode."""
        mail = await asyncio.to_thread(parse_email, raw)
        if mail.loop_reason:
            return Dropped(mail.loop_reason)
        return await self.receive(mail)

    async def receive(self, mail: ParsedEmail) -> EmailReceived:
        """Attachments are stored after the ticket or message that lists them, on every
        delivery (once under their ids): a redelivery finishes what a failure left undone."""
        found = [(a.filename, a.content_type, a.content) for a in mail.attachments]
        kept, left_out = kept_attachments(_source_ref(mail), found, self.attachment_rules)
        refs = tuple(ref for ref, _ in kept)
        received = await self._place(mail, refs)
        message_id = received.message.id if received.message else None
        for ref, content in kept:
            await self.attachments.keep(received.ticket.id, message_id, ref, content)
        notes = (*received.notes, *left_out)
        return EmailReceived(
            received.ticket,
            received.message,
            received.replayed,
            received.threaded,
            notes,
            refs,
            received.duplicate_of,
        )

    async def _place(self, mail: ParsedEmail, refs: tuple[AttachmentRef, ...]) -> EmailReceived:
        references = ticket_references(mail.in_reply_to, mail.subject, self.message_id_domain)
        for reference in references:
            ticket = await self.tickets.get(reference.ticket_id)
            if ticket is not None and _same_customer(ticket, mail):
                return await self._join(ticket, reference, mail, refs)
        # Unknown, or another customer's: a new ticket, as if no reference were there.
        created = await handlers.create_ticket(
            _new_ticket(mail, self.category, refs),
            self.tickets,
            self.categories,
            self.clock,
            identities=self.identities,
            triager=self.triager,
            duplicates=self.duplicates,
        )
        if created.duplicate is None:
            return EmailReceived(created.ticket, None, created.replayed, False, mail.notes)
        # Joined to an open ticket: its attachments belong to the message it became.
        decided = created.duplicate.message_id
        message = next((m for m in created.ticket.messages if m.id == decided), None)
        return EmailReceived(
            created.ticket,
            message,
            created.replayed,
            False,
            mail.notes,
            duplicate_of=created.ticket.id,
        )

    async def _join(
        self,
        ticket: Ticket,
        reference: Reference,
        mail: ParsedEmail,
        refs: tuple[AttachmentRef, ...],
    ) -> EmailReceived:
        earlier = with_source(ticket.messages, _source_ref(mail))
        answered = reference.answered
        in_reply_to = answered if any(m.id == answered for m in ticket.messages) else None
        posted = await post_channel_message(
            self.tickets,
            self.categories,
            ticket,
            body=(trim_quoted(mail.body) or "(empty message)")[:MAX_BODY_CHARS],
            channel=Channel.email,
            source_ref=_source_ref(mail),
            in_reply_to=in_reply_to,
            clock=self.clock,
            attachments=refs,
            repeat=self.repeat_contact,
        )
        # A redelivery finds its message in the thread, or its follow-up linked already.
        replayed = earlier is not None or (
            posted.message is None and posted.ticket.id in ticket.follow_ups
        )
        return EmailReceived(posted.ticket, posted.message, replayed, True, mail.notes)


def _source_ref(mail: ParsedEmail) -> str:
    return mail.message_id[:200]


def _same_customer(ticket: Ticket, mail: ParsedEmail) -> bool:
    address = ticket.customer.email
    return bool(address) and str(address).casefold() == mail.sender_email.casefold()


def _new_ticket(mail: ParsedEmail, category: str, refs: tuple[AttachmentRef, ...]) -> CreateTicket:
    """The same command REST builds; the Message-ID is the idempotency key, so a redelivery
    (any process) lands on the same ticket id, inserted once under its unique `_id`."""
    return CreateTicket(
        channel=Channel.email,
        customer=Customer(email=mail.sender_email, name=mail.sender_name[:200] or None),
        subject=(mail.subject or "(no subject)")[:SUBJECT_LIMIT],
        body=(mail.body or "(empty message)")[:BODY_LIMIT],
        fallback_category=category,  # triage may choose another
        idempotency_key=mail.message_id[:200],
        created_by=EMAIL_ACTOR,
        attachments=refs,
    )
