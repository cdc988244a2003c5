"""Merge a ticket into another of the same customer's, and split a message out into a ticket.

Neither has a transaction to lean on: each step is idempotent and written in an order a retry
can finish. A merge claims its link first (so a second merge elsewhere is refused), copies the
thread (each copy under its own `source_ref`), then closes the source. A split opens the new
ticket under an id derived from the message, stores the link, then notes it on the source.
"""

from dataclasses import dataclass
from typing import Protocol

from intake.domain.categories import CategoryRule
from intake.domain.errors import TicketIdTaken
from intake.domain.idempotency import ticket_id_for_key
from intake.domain.links import (
    MergeLink,
    MergeRefused,
    MessageNotFound,
    SplitLink,
    SplitRefused,
    check_merge,
    copy_ref,
)
from intake.domain.messages import Message
from intake.domain.ticket import MERGE, Ticket
from intake.handlers import Clock, _change, now_ms, visible_ticket
from intake.ports import CategoryRepository, TicketRepository
from ticketflow_shared.access.principal import Principal
from ticketflow_shared.events import AuthorKind, Channel, Visibility

SUBJECT_LIMIT = 200


class TicketLinks(Protocol):
    async def merge_of(self, source: str) -> MergeLink | None: ...

    async def claim_merge(self, link: MergeLink) -> MergeLink: ...

    async def record_split(self, link: SplitLink) -> None: ...

    async def of_ticket(self, ticket_id: str) -> tuple[list[MergeLink], list[SplitLink]]: ...


@dataclass(frozen=True)
class Merged:
    source: Ticket
    target: Ticket
    link: MergeLink

    @property
    def messages_copied(self) -> int:
        """The source's messages (its opening request included) now in the target's thread."""
        prefix = copy_ref(self.source.id)
        return sum(1 for m in self.target.messages if (m.source_ref or "").startswith(prefix))


async def merge_ticket(
    tickets: TicketRepository,
    links: TicketLinks,
    source_id: str,
    into: str,
    caller: Principal,
    clock: Clock = now_ms,
) -> Merged:
    """Copy `source_id`'s thread into `into` and close it as merged; a retry changes nothing.
    404 for a ticket the caller does not see, 409 (MergeRefused) for what cannot be merged."""
    source = await visible_ticket(tickets, source_id, caller.scope())
    target = await visible_ticket(tickets, into, caller.scope())
    earlier = await links.merge_of(source.id)
    check_merge(source, target, earlier)
    link = earlier or await links.claim_merge(MergeLink(source.id, into, caller.actor, clock()))
    if link.into != into:  # a concurrent merge of the source elsewhere claimed it first
        raise MergeRefused(source.id, f"it was merged into {link.into}")
    target = await _change(tickets, into, lambda t: _copy_thread(t, source, clock))
    source = await _change(
        tickets, source.id, lambda t: t.close_as_merged(into, actor=link.actor, now=clock())
    )
    return Merged(source, target, link)


def _copy_thread(target: Ticket, source: Ticket, clock: Clock) -> bool:
    """The source's request and messages onto the target's thread, each once."""
    before = len(target.messages)
    opening = Message(
        id="",
        author=source.created_by or "customer",
        author_kind=AuthorKind.customer,
        author_name=source.customer.name,
        visibility=Visibility.public,
        body=f"{source.subject}\n\n{source.body}",
        at=source.created_at,
    )
    for message, ref in [(opening, copy_ref(source.id))] + [
        (m, copy_ref(source.id, m.id)) for m in source.messages
    ]:
        target.add_message(
            body=message.body,
            visibility=message.visibility,
            author=message.author,
            author_kind=message.author_kind,
            author_name=message.author_name,
            now=clock(),
            agent_id=message.agent_id,
            channel=message.channel,
            source_ref=ref,
            joined=MERGE,
        )
    return len(target.messages) > before


@dataclass(frozen=True)
class SplitOut:
    source: Ticket
    ticket: Ticket
    created: bool


async def split_message(
    tickets: TicketRepository,
    categories: CategoryRepository,
    links: TicketLinks,
    ticket_id: str,
    message_id: str,
    caller: Principal,
    clock: Clock = now_ms,
) -> SplitOut:
    """A new ticket for the customer from one of their messages on `ticket_id`; the same
    ticket again for the same message."""
    source = await visible_ticket(tickets, ticket_id, caller.scope())
    message = next((m for m in source.messages if m.id == message_id), None)
    if message is None:
        raise MessageNotFound(source.id, message_id)
    if message.author_kind is not AuthorKind.customer:
        raise SplitRefused(message_id, "only a customer's message starts a ticket")
    new_id = ticket_id_for_key(f"split:{source.id}:{message_id}", source.created_by)
    ticket, created = await _split_ticket(tickets, categories, source, message, new_id, clock)
    await links.record_split(SplitLink(source.id, message_id, new_id, caller.actor, clock()))
    source = await _change(
        tickets,
        source.id,
        lambda t: t.note_split(message_id, new_id, actor=caller.actor, now=clock()),
    )
    return SplitOut(source, ticket, created)


async def _split_ticket(
    tickets: TicketRepository,
    categories: CategoryRepository,
    source: Ticket,
    message: Message,
    new_id: str,
    clock: Clock,
) -> tuple[Ticket, bool]:
    existing = await tickets.get(new_id)
    if existing is not None:
        return existing, False
    current = await categories.get(source.category)
    rule = CategoryRule(
        source.category,
        default_priority=source.priority,
        department=source.department,
        procedure=current.procedure if current else (),
    )
    first_line = message.body.strip().splitlines()[0] if message.body.strip() else source.subject
    ticket = Ticket.create(
        ticket_id=new_id,
        channel=_channel_of(message, source),
        customer=source.customer,
        subject=first_line[:SUBJECT_LIMIT],
        body=message.body,
        rule=rule,
        fields=source.fields,
        priority=source.priority,
        now=clock(),
        created_by=source.created_by,
        external_refs=message.external_refs,
    )
    try:
        await tickets.add(ticket)
    except TicketIdTaken:  # a concurrent split of the same message inserted first
        raced = await tickets.get(new_id)
        return (raced, False) if raced else (ticket, False)
    return ticket, True


def _channel_of(message: Message, source: Ticket) -> Channel:
    """The channel the message came in by: a push or mail joined to a web ticket stays itself."""
    try:
        return Channel(message.channel) if message.channel else source.channel
    except ValueError:
        return source.channel
