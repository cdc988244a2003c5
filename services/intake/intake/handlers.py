"""Intake's service layer: commands and routing's events in, ticket changes and events out."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from intake import triage_step
from intake.adapters import ownership_spans
from intake.customer_linking import CustomerIdentities, known, linked
from intake.domain.categories import FieldValue
from intake.domain.commands import CreateTicket, ResolveTicket
from intake.domain.customer_identities import Identity
from intake.domain.errors import (
    ConcurrentUpdate,
    TicketIdTaken,
    TicketNotFound,
    UnknownCategory,
)
from intake.domain.idempotency import (
    IdempotencyRecord,
    ensure_same_request,
    new_ticket_id,
    ticket_id_for_key,
)
from intake.domain.ticket import Ticket
from intake.ports import CategoryRepository, TicketRepository
from intake.triage_step import Triager
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import (
    Channel,
    Payload,
    Position,
    TicketAssignedV1,
    TicketEscalatedV1,
    TicketQueuedV1,
    utcnow,
)

Clock = Callable[[], datetime]
if TYPE_CHECKING:
    from intake.domain.duplicates import DuplicateDecision
    from intake.duplicate_handlers import DuplicateCheck

SAVE_ATTEMPTS = 5
FRESH_ID_ATTEMPTS = 3
SERVICE = "intake"  # `source` of the escalations intake publishes itself


def now_ms() -> datetime:
    """Now, to the millisecond: BSON dates keep no more, and the POST reply, the event and
    every later read must show the same instant."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    replayed: bool
    # Set when the request repeated an open ticket of its customer and joined it.
    duplicate: "DuplicateDecision | None" = None


async def create_ticket(
    command: CreateTicket,
    tickets: TicketRepository,
    categories: CategoryRepository,
    clock: Clock = now_ms,
    identities: CustomerIdentities | None = None,
    triager: Triager | None = None,
    duplicates: "DuplicateCheck | None" = None,
    scope: Scope | None = None,
    also_named: Sequence[Identity] = (),
) -> Created:
    """Open a ticket; with an idempotency key, a retry returns the ticket it made first.

    With `identities`, the ticket's customer gets its unified id (every channel comes here),
    a new customer's record made only once triage is done and the ticket about to be stored;
    `also_named` are identities naming the customer beyond its address and phone. With
    `triager`, the stored triage rules and classifier decide what the client left open.
    With `duplicates`, a request repeating an open ticket of that customer joins it instead
    (with `scope`, only one the caller may see).
    """
    key = command.idempotency_key
    link = Link(identities, also_named, clock) if identities else None
    if key is None:
        command = await _with_known_customer(command, link)
        if duplicates:
            await _check_as_new(command, categories)
        if duplicates and (joined := await duplicates.join(command, clock, scope=scope)):
            return Created(joined.ticket, False, joined.decision)
        fresh = await _create_fresh(command, tickets, categories, clock, triager, link)
        return Created(fresh, replayed=False)
    fingerprint = command.fingerprint()
    ticket_id = ticket_id_for_key(key, command.created_by)
    existing = await tickets.get(ticket_id)
    earlier = None
    if existing is None and duplicates:
        earlier = await duplicates.replayed(ticket_id, key, fingerprint)
    if earlier is not None:
        return Created(earlier.ticket, True, earlier.decision)
    if existing is None:
        command = await _with_known_customer(command, link)
        record = IdempotencyRecord(key, fingerprint)
        keyed = (ticket_id, record)
        if duplicates:
            await _check_as_new(command, categories)
        if duplicates and (joined := await duplicates.join(command, clock, keyed, scope)):
            return Created(joined.ticket, False, joined.decision)
        ticket = await _open(command, ticket_id, categories, clock, record, triager, link)
        try:
            await tickets.add(ticket)
            return Created(ticket, replayed=False)
        except TicketIdTaken:  # a concurrent retry with the same key inserted first
            existing = await _get(tickets, ticket_id)
    ensure_same_request(existing.idempotency, ticket_id, key, fingerprint)
    return Created(existing, replayed=True)


async def resolve_ticket(
    command: ResolveTicket, tickets: TicketRepository, clock: Clock = now_ms
) -> Ticket:
    def resolve(ticket: Ticket) -> bool:
        ticket.resolve(command.resolution, clock(), command.actor)
        return True

    return await _change(tickets, command.ticket_id, resolve)


async def ticket_queued(
    position: Position, event: TicketQueuedV1, tickets: TicketRepository, clock: Clock = now_ms
) -> Ticket:
    return await _change(
        tickets, event.ticket_id, lambda ticket: ticket.apply_queued(position, event, clock())
    )


async def ticket_assigned(
    position: Position, event: TicketAssignedV1, tickets: TicketRepository, clock: Clock = now_ms
) -> Ticket:
    return await _change(
        tickets, event.ticket_id, lambda ticket: ticket.apply_assigned(position, event, clock())
    )


async def ticket_escalated(
    event: TicketEscalatedV1, tickets: TicketRepository, clock: Clock = now_ms
) -> Ticket | None:
    """Another service escalated the ticket (a waiting step, an SLA breach): the ticket takes
    the raised priority it names. Intake's own escalations are already applied."""
    if event.source == SERVICE or event.priority is None:
        return None
    priority, actor = event.priority, f"system:{event.source}"
    return await _change(
        tickets,
        event.ticket_id,
        lambda ticket: ticket.raise_priority(priority, actor=actor, now=clock()),
    )


async def routing_event(position: Position, event: Payload, tickets: TicketRepository) -> Ticket:
    """Apply one of routing's events (queued, assigned) to its ticket, in routing's order."""
    if isinstance(event, TicketQueuedV1):
        return await ticket_queued(position, event, tickets)
    if isinstance(event, TicketAssignedV1):
        return await ticket_assigned(position, event, tickets)
    raise TypeError(f"intake does not consume {event.event_type}")


@dataclass(frozen=True)
class Link:
    """How a new ticket's customer gets its unified id (see `customer_linking`)."""

    identities: CustomerIdentities
    also_named: Sequence[Identity]
    clock: Clock


async def _with_known_customer(command: CreateTicket, link: Link | None) -> CreateTicket:
    """The command with its customer's id if the customer is on record already (a request
    may then join its open ticket); a new customer's record waits for the ticket."""
    if link is None:
        return command
    customer = await known(command.customer, link.identities, link.clock(), link.also_named)
    return command.model_copy(update={"customer": customer})


async def _create_fresh(
    command: CreateTicket,
    tickets: TicketRepository,
    categories: CategoryRepository,
    clock: Clock,
    triager: Triager | None = None,
    link: Link | None = None,
) -> Ticket:
    for _ in range(FRESH_ID_ATTEMPTS - 1):
        ticket = await _open(command, new_ticket_id(), categories, clock, None, triager, link)
        try:
            await tickets.add(ticket)
            return ticket
        except TicketIdTaken:  # 60 random bits clashed; draw again
            continue
    ticket = await _open(command, new_ticket_id(), categories, clock, None, triager, link)
    await tickets.add(ticket)
    return ticket


async def _check_as_new(command: CreateTicket, categories: CategoryRepository) -> None:
    """Refuse, before it may join an open ticket, a request that could not open one."""
    await check_named_category(categories, command.category, command.fields, command.channel)


async def check_named_category(
    categories: CategoryRepository,
    category: str | None,
    fields: Mapping[str, FieldValue],
    channel: Channel,
) -> None:
    """UnknownCategory, MissingFields or InvalidFieldValues for a request that names a
    category it could not open a ticket in (a category left to triage is the channel's
    fallback or triage's choice, checked when the ticket opens)."""
    if category is None:
        return
    rule = await categories.get(category)
    if rule is None:
        raise UnknownCategory(category)
    rule.require_fields(fields, channel.value)


async def _open(
    command: CreateTicket,
    ticket_id: str,
    categories: CategoryRepository,
    clock: Clock,
    idempotency: IdempotencyRecord | None = None,
    triager: Triager | None = None,
    link: Link | None = None,
) -> Ticket:
    now = clock()
    decided = await triage_step.decide(command, categories, triager, now)
    customer = command.customer
    if link is not None:  # after triage: a ticket refused by it leaves no new record
        # `known` found none of its identities on record before triage: claim them now.
        customer = await linked(customer, link.identities, now, link.also_named, unowned=True)
    ticket = Ticket.create(
        ticket_id=ticket_id,
        channel=command.channel,
        customer=customer,
        subject=command.subject,
        body=command.body,
        rule=decided.rule,
        fields=command.fields,
        priority=decided.priority,
        now=now,
        idempotency=idempotency,
        created_by=command.created_by,
        external_refs=command.external_refs,
        customer_tier=command.customer_tier,
        suggestions=triage_step.suggested_articles(decided, ticket_id, triager, now),
    )
    ticket.apply_triage(decided.record, decided.tags, decided.escalation_reason, source=SERVICE)
    ticket.traceparent = ownership_spans.current_traceparent()
    return ticket


async def visible_ticket(tickets: TicketRepository, ticket_id: str, scope: Scope) -> Ticket:
    """The ticket if `scope` sees it; another department's is as unknown as a missing one
    (TicketNotFound, a 404), so ids tell nothing about what exists."""
    ticket = await tickets.get(ticket_id)
    if ticket is None or not scope.allows(ticket.departments, ticket.created_by):
        raise TicketNotFound(ticket_id)
    return ticket


async def sees_ticket(tickets: TicketRepository, ticket_id: str, scope: Scope) -> bool:
    try:
        await visible_ticket(tickets, ticket_id, scope)
    except TicketNotFound:
        return False
    return True


async def _get(tickets: TicketRepository, ticket_id: str) -> Ticket:
    ticket = await tickets.get(ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


async def _change(
    tickets: TicketRepository, ticket_id: str, change: Callable[[Ticket], bool]
) -> Ticket:
    """Load, change, save under the version check; reload and retry if someone else wrote."""
    for _ in range(SAVE_ATTEMPTS - 1):
        try:
            return await _change_once(tickets, ticket_id, change)
        except ConcurrentUpdate:
            continue
    return await _change_once(tickets, ticket_id, change)


async def _change_once(
    tickets: TicketRepository, ticket_id: str, change: Callable[[Ticket], bool]
) -> Ticket:
    ticket = await _get(tickets, ticket_id)
    loaded_at = ticket.version
    ended = ticket.ownership.ended_count
    if change(ticket):
        await tickets.save(ticket, loaded_at)
        # Once saved, so a refused or retried change sends no span.
        periods = ticket.ownership.ended_after(ended)
        ownership_spans.export_ended(ticket.id, ticket.traceparent, periods)
    return ticket
