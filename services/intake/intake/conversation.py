"""Intake's service layer for a ticket's conversation: staff replies and notes, the
customer's messages (and the follow-up a message after the close starts), the thread."""

from dataclasses import dataclass

from intake.domain.attachments import AttachmentRef
from intake.domain.categories import CategoryRule
from intake.domain.emotion_escalation import escalate_on_message
from intake.domain.errors import TicketClosed, TicketIdTaken
from intake.domain.idempotency import new_ticket_id, ticket_id_for_key
from intake.domain.messages import Message, visible_to, with_source
from intake.domain.repeat_contact import DEFAULT_POLICY, RepeatContactPolicy
from intake.domain.ticket import Ticket, TicketStatus
from intake.handlers import SERVICE, Clock, _change, now_ms, visible_ticket
from intake.handoff_handlers import owned_ticket
from intake.ports import CategoryRepository, TicketRepository
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.events import AuthorKind, Channel, Visibility

STAFF_ROLES = (Role.admin, Role.supervisor, Role.agent, Role.viewer)


@dataclass(frozen=True)
class Posted:
    """Where a message went: its ticket (a follow-up, for a closed one) and the message, if
    it joined a thread (a follow-up's first words are its body)."""

    ticket: Ticket
    message: Message | None


def reads_internal_notes(caller: Principal) -> bool:
    """Staff read internal notes; a customer-facing system (an integration) never does."""
    return caller.has(*STAFF_ROLES)


async def post_staff_message(
    tickets: TicketRepository,
    ticket_id: str,
    *,
    body: str,
    visibility: Visibility,
    caller: Principal,
    in_reply_to: str | None = None,
    clock: Clock = now_ms,
) -> Message:
    """A public reply to the customer or an internal note, by one of the ticket's owners
    (a past owner or a consulted department reads the thread, and answers a consult)."""
    await owned_ticket(tickets, ticket_id, caller.scope())
    added: list[Message] = []

    def add(ticket: Ticket) -> bool:
        added.append(
            ticket.add_message(
                body=body,
                visibility=visibility,
                author=caller.actor,
                author_kind=AuthorKind.agent,
                author_name=caller.name,
                now=clock(),
                agent_id=caller.id if caller.kind == "user" else None,
                in_reply_to=in_reply_to,
            )
        )
        return True

    await _change(tickets, ticket_id, add)
    return added[-1]


async def post_customer_message(
    tickets: TicketRepository,
    categories: CategoryRepository,
    ticket_id: str,
    *,
    body: str,
    caller: Principal,
    in_reply_to: str | None = None,
    clock: Clock = now_ms,
    repeat: RepeatContactPolicy = DEFAULT_POLICY,
) -> Posted:
    """The customer wrote: into the thread, or, once the ticket is closed, a follow-up."""
    ticket = await visible_ticket(tickets, ticket_id, caller.scope())
    return await _customer_wrote(
        tickets,
        categories,
        ticket,
        body,
        caller.actor,
        clock,
        in_reply_to=in_reply_to,
        repeat=repeat,
    )


async def post_channel_message(
    tickets: TicketRepository,
    categories: CategoryRepository,
    ticket: Ticket,
    *,
    body: str,
    channel: Channel,
    source_ref: str,
    in_reply_to: str | None = None,
    clock: Clock = now_ms,
    attachments: tuple[AttachmentRef, ...] = (),
    repeat: RepeatContactPolicy = DEFAULT_POLICY,
) -> Posted:
    """A channel (email, chat) matched an incoming message to `ticket` and its customer: into
    the thread, or a follow-up once closed. `source_ref` (the channel's message id) makes a
    redelivery land on the message, or the follow-up, it made the first time."""
    return await _customer_wrote(
        tickets,
        categories,
        ticket,
        body,
        f"channel:{channel.value}",
        clock,
        in_reply_to=in_reply_to,
        channel=channel,
        source_ref=source_ref,
        attachments=attachments,
        repeat=repeat,
    )


async def _customer_wrote(
    tickets: TicketRepository,
    categories: CategoryRepository,
    ticket: Ticket,
    body: str,
    actor: str,
    clock: Clock,
    *,
    in_reply_to: str | None = None,
    channel: Channel | None = None,
    source_ref: str | None = None,
    attachments: tuple[AttachmentRef, ...] = (),
    repeat: RepeatContactPolicy,
) -> Posted:
    """Into the thread, escalated for the message's emotion and the ticket's repeated contact
    in the same save; a closed ticket's message starts its follow-up."""
    follow_up = _FollowUp(tickets, categories, clock, body, source_ref)
    if ticket.status is TicketStatus.closed and with_source(ticket.messages, source_ref) is None:
        return Posted(await follow_up.start(ticket), None)
    added: list[Message] = []

    def add(current: Ticket) -> bool:
        before = len(current.messages)
        now = clock()
        added.append(
            current.add_message(
                body=body,
                visibility=Visibility.public,
                author=actor,
                author_kind=AuthorKind.customer,
                author_name=current.customer.name,
                now=now,
                in_reply_to=in_reply_to,
                channel=channel.value if channel else None,
                source_ref=source_ref,
                attachments=attachments,
            )
        )
        if len(current.messages) == before:  # a redelivery: escalated the first time, if at all
            return False
        escalate_on_message(current, body, repeat, source=SERVICE, now=now)
        return True

    try:
        changed = await _change(tickets, ticket.id, add)
    except TicketClosed:  # closed between the read above and the write
        closed = await tickets.get(ticket.id)
        return Posted(await follow_up.start(closed or ticket), None)
    return Posted(changed, added[-1])


async def thread(tickets: TicketRepository, ticket_id: str, caller: Principal) -> list[Message]:
    ticket = await visible_ticket(tickets, ticket_id, caller.scope())
    return visible_to(ticket.messages, internal=reads_internal_notes(caller))


@dataclass(frozen=True)
class _FollowUp:
    tickets: TicketRepository
    categories: CategoryRepository
    clock: Clock
    body: str
    source_ref: str | None

    async def start(self, old: Ticket) -> Ticket:
        """A new ticket for the same customer, category and department, linked both ways. The
        old ticket's fields carry over, so a requirement added to the category since is no
        bar. With a `source_ref` its id is derived from it, so a redelivery finds it."""
        current = await self.categories.get(old.category)
        rule = CategoryRule(
            old.category,
            default_priority=old.priority,
            department=old.department,
            procedure=current.procedure if current else (),
        )
        ticket_id = (
            new_ticket_id()
            if self.source_ref is None
            else ticket_id_for_key(f"follow-up:{old.id}:{self.source_ref}", old.created_by)
        )
        follow_up = Ticket.create(
            ticket_id=ticket_id,
            channel=old.channel,
            customer=old.customer,
            subject=old.subject,
            body=self.body,
            rule=rule,
            fields=old.fields,
            priority=old.priority,
            now=self.clock(),
            created_by=old.created_by,
            follow_up_of=old.id,
        )
        try:
            await self.tickets.add(follow_up)
        except TicketIdTaken:  # the channel delivered this message before
            existing = await self.tickets.get(ticket_id)
            if existing is not None:
                follow_up = existing
        await _change(self.tickets, old.id, lambda t: t.link_follow_up(follow_up.id, self.clock()))
        return follow_up
