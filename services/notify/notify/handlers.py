"""Service layer: ticket events in, customer emails out, notification.sent.v1 recorded."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from notify.domain.deliveries import (
    Delivery,
    DeliveryStatus,
    Step,
    delivery_id,
    recipient_problem,
)
from notify.domain.notices import message_template, status_template
from notify.domain.templates import RenderedEmail, Template, template_context
from notify.domain.threads import (
    event_message_id,
    full_thread,
    reply_message_id,
    threading_for,
)
from notify.domain.tickets import TicketNotKnown, TicketView
from notify.ports import (
    DeliveryRepository,
    EmailNotSent,
    EmailSender,
    EmailUndeliverable,
    OutboxPublisher,
    TemplateRenderer,
    TemplateRepository,
    TicketRepository,
)
from ticketflow_shared import outbox
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    Payload,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatusChangedV1,
    utcnow,
)

log = logging.getLogger(__name__)
SOURCE = "/ticketflow/notify"
WAIT_POLL_SECONDS = 0.2
EVERYTHING = Scope(everything=True)


class DeliveryBusy(RuntimeError):
    """Another attempt kept sending this delivery for longer than a lease; retry later."""


@dataclass
class NotifyDeps:
    """Everything a handler needs, wired once in bootstrap (or with fakes in unit tests)."""

    tickets: TicketRepository
    templates: TemplateRepository
    deliveries: DeliveryRepository
    sender: EmailSender
    renderer: TemplateRenderer
    publish_outbox: OutboxPublisher
    mail_domain: str
    send_lease: timedelta
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    send_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))


def consumed_events(deps: NotifyDeps) -> EventHandlers:
    """What notify's queue takes, and who handles each."""
    return (
        EventHandlers()
        .on(TicketCreatedV1, handler=partial(ticket_created, deps))
        .on(TicketAssignedV1, TicketResolvedV1, handler=partial(ticket_progressed, deps))
        .on(TicketMessageAddedV1, handler=partial(message_added, deps))
        .on(TicketStatusChangedV1, handler=partial(status_changed, deps))
    )


async def ticket_created(deps: NotifyDeps, envelope: Envelope, event: TicketCreatedV1) -> None:
    ticket = TicketView.from_created(event)
    message_id = event_message_id(envelope.id, ticket.ticket_id, deps.mail_domain)
    await deps.tickets.add(ticket, delivery_id(envelope.id), message_id)
    template = await deps.templates.get(envelope.type)
    await notify_customer(deps, envelope, event, ticket, template, message_id)


async def ticket_progressed(
    deps: NotifyDeps, envelope: Envelope, event: TicketAssignedV1 | TicketResolvedV1
) -> None:
    department = event.department if isinstance(event, TicketAssignedV1) else None
    message_id = event_message_id(envelope.id, event.ticket_id, deps.mail_domain)
    ticket = await noted_ticket(deps, envelope, event.ticket_id, message_id, department)
    template = await deps.templates.get(envelope.type)
    await notify_customer(deps, envelope, event, ticket, template, message_id)


async def message_added(deps: NotifyDeps, envelope: Envelope, event: TicketMessageAddedV1) -> None:
    """An agent's public reply goes to the customer, and so does the news that their new
    request was added to an open ticket of theirs; nothing else on the thread does."""
    name = message_template(event)
    if name is None:
        log.debug("message %s of %s stays inside", event.message_id, event.ticket_id)
        return  # before any store access: an internal note costs notify nothing
    message_id = reply_message_id(event.message_id, event.ticket_id, deps.mail_domain)
    ticket = await noted_ticket(deps, envelope, event.ticket_id, message_id)
    template = await deps.templates.get(name)
    await notify_customer(deps, envelope, event, ticket, template, message_id)


async def status_changed(
    deps: NotifyDeps, envelope: Envelope, event: TicketStatusChangedV1
) -> None:
    """A status the operator switched a template on for is told to the customer."""
    name = status_template(event.status)
    template = None if name is None else await deps.templates.get(name)
    if template is None or not template.enabled:
        return
    message_id = event_message_id(envelope.id, event.ticket_id, deps.mail_domain)
    ticket = await noted_ticket(deps, envelope, event.ticket_id, message_id)
    await notify_customer(deps, envelope, event, ticket, template, message_id)


async def noted_ticket(
    deps: NotifyDeps,
    envelope: Envelope,
    ticket_id: str,
    message_id: str,
    agent_department: str | None = None,
) -> TicketView:
    # The email joins the thread before it is rendered: a copy of the event, or a retry after
    # a failure, finds it at the same place and sends the same headers.
    ticket = await deps.tickets.get_noting(
        ticket_id, delivery_id(envelope.id), message_id, agent_department
    )
    if ticket is None:
        raise TicketNotKnown(ticket_id)  # the bus retries until ticket.created is in
    return ticket


async def notify_customer(
    deps: NotifyDeps,
    envelope: Envelope,
    event: Payload,
    ticket: TicketView,
    template: Template,
    message_id: str,
) -> None:
    """Send the email for one event at most once, however often the event arrives."""
    if not ticket.customer_email:
        await _skip_unaddressed(deps, envelope, template, ticket, message_id)
        return
    # A template that fails here raises: the bus retries, then dead-letters for a replay once
    # the template is fixed.
    email = await deps.renderer.render(template, template_context(ticket, event))
    now = deps.clock()
    delivery = Delivery.for_event(
        event_id=envelope.id,
        event_type=envelope.type,
        template=template.event_type,
        ticket=ticket,
        email=email,
        message_id=message_id,
        threading=threading_for(full_thread(ticket, deps.mail_domain), message_id),
        now=now,
    )
    await deliver(deps, delivery)


async def deliver(deps: NotifyDeps, delivery: Delivery) -> None:
    """Send a delivery just made, unless a copy of its event sent it already."""
    now = deps.clock()
    problem = recipient_problem(delivery.recipient)
    if problem is not None:
        delivery.refuse(now, problem)
        await deps.deliveries.add(delivery)
        log.warning("delivery %s is undeliverable: %s", delivery.id, problem)
        return
    delivery.begin_attempt(now, deps.send_lease)
    if not await deps.deliveries.add(delivery):
        taken = await _take_over(deps, delivery.id)
        if taken is None:
            log.info("delivery %s already sent; nothing to do", delivery.id)
            return
        delivery = taken
    await _send(deps, delivery)


async def _skip_unaddressed(
    deps: NotifyDeps, envelope: Envelope, template: Template, ticket: TicketView, message_id: str
) -> None:
    """A customer without an email (a chat user): the log says so, nothing is sent."""
    now = deps.clock()
    delivery = Delivery.for_event(
        event_id=envelope.id,
        event_type=envelope.type,
        template=template.event_type,
        ticket=ticket,
        email=RenderedEmail(subject="", body=""),
        message_id=message_id,
        now=now,
    )
    delivery.skip(now, "the customer has no email address")
    if await deps.deliveries.add(delivery):
        log.info("delivery %s skipped: the customer has no email address", delivery.id)


async def _take_over(deps: NotifyDeps, existing_id: str) -> Delivery | None:
    """Begin an attempt on a delivery an earlier copy of the event inserted; None once sent."""
    deadline = deps.clock() + deps.send_lease * 2
    while True:
        delivery = await deps.deliveries.get(existing_id)
        assert delivery is not None, "deliveries are never deleted"
        now = deps.clock()
        step = delivery.next_step(now)
        if step is Step.skip:
            return None
        if step is Step.send:
            if await _claim(deps, delivery, now):
                return delivery
            pause = WAIT_POLL_SECONDS  # another copy began an attempt first: see how it ends
        else:
            pause = min(WAIT_POLL_SECONDS, (delivery.leased_until - now).total_seconds())
        # Bounded either way: past the deadline the bus retries later, then dead-letters.
        if now >= deadline:
            raise DeliveryBusy(f"delivery {existing_id} is still being sent elsewhere")
        await deps.sleep(pause)


async def _claim(deps: NotifyDeps, delivery: Delivery, now: datetime) -> bool:
    expected = delivery.attempts
    delivery.begin_attempt(now, deps.send_lease)
    # An attempt older than a lease that never reached the delivery belongs to a dead copy.
    return await deps.deliveries.claim(delivery, expected, stale_before=now - deps.send_lease)


async def _send(deps: NotifyDeps, delivery: Delivery) -> None:
    if delivery.abandoned_attempts:
        log.warning(
            "resending delivery %s: %d earlier attempt(s) ended without an outcome, so the "
            "customer may get it again (same Message-ID)",
            delivery.id,
            delivery.abandoned_attempts,
        )
    # From the mail server's "250" until it is recorded, an email would be sent again after
    # a crash: only a few sends at a time keeps what a crash can expose small.
    async with deps.send_slots:
        try:
            smtp_response = await deps.sender.send(delivery.email())
        except EmailUndeliverable as exc:
            delivery.mark_undeliverable(deps.clock(), str(exc))
            await deps.deliveries.save_unsent(delivery)
            log.warning("delivery %s is undeliverable: %s", delivery.id, exc)
            return  # final: retrying cannot help, and must not hold up other customers' mail
        except EmailNotSent as exc:
            delivery.mark_failed(deps.clock(), str(exc))
            await deps.deliveries.save_unsent(delivery)
            raise  # the bus retries with back-off, then dead-letters; the delivery says why
        delivery.mark_sent(deps.clock(), smtp_response)
        envelopes = outbox.recorded_events(
            delivery.events, source=SOURCE, subject=delivery.ticket_id
        )
        entries = await deps.deliveries.save_sent(delivery, envelopes)
    if entries:
        await deps.publish_outbox(delivery.id, entries)


async def update_template(deps: NotifyDeps, template: Template) -> Template:
    """Store a template once it parses and renders against a sample ticket."""
    await deps.renderer.check(template)
    return await deps.templates.put(template)


async def sees_ticket(deps: NotifyDeps, ticket_id: str, scope: Scope) -> bool:
    ticket = await deps.tickets.get(ticket_id)
    return ticket is not None and scope.allows(ticket.departments, ticket.created_by)


async def deliveries_of_ticket(
    deps: NotifyDeps,
    ticket_id: str,
    status: DeliveryStatus | None,
    limit: int,
    scope: Scope = EVERYTHING,
) -> list[Delivery]:
    """One ticket's deliveries, oldest first, looked up by id rather than by a scan; none for
    a ticket `scope` does not see (as for one that does not exist)."""
    if not scope.everything:
        ticket = await deps.tickets.get(ticket_id)
        if ticket is None or not scope.allows(ticket.departments, ticket.created_by):
            return []
    ids = await deps.tickets.deliveries_of(ticket_id)
    return await deps.deliveries.find(ids=ids, status=status, limit=limit)
