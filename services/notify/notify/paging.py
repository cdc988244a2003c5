"""Service layer for routing's escalation and SLA events: pages to the department's paging
addresses, and the customer's email only where an operator switched its template on."""

import logging
from functools import partial
from typing import Protocol

from notify import handlers
from notify.domain.paging import PAGE_ESCALATED, PAGE_SLA_BREACHED, PagingList, pages, unpaged
from notify.domain.templates import template_context
from notify.domain.threads import event_message_id
from notify.domain.tickets import TicketNotKnown
from notify.handlers import NotifyDeps
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import (
    Envelope,
    SlaBreachedV1,
    SlaWarningV1,
    TicketEscalatedV1,
)

log = logging.getLogger(__name__)


class PagingRepository(Protocol):
    async def get(self, department: str) -> PagingList:
        """The department's paging list; an empty one when none is set."""
        ...

    async def put(self, paging: PagingList) -> PagingList: ...


def consumed_events(deps: NotifyDeps, paging: PagingRepository) -> EventHandlers:
    """Notify's customer events, and the escalation and SLA events beside them."""
    return (
        handlers.consumed_events(deps)
        .on(TicketEscalatedV1, handler=partial(escalated, deps, paging))
        .on(SlaBreachedV1, handler=partial(sla_breached, deps, paging))
        .on(SlaWarningV1, handler=partial(tell_customer, deps))
    )


async def escalated(
    deps: NotifyDeps, paging: PagingRepository, envelope: Envelope, event: TicketEscalatedV1
) -> None:
    if event.page_supervisor:
        await page(deps, paging, envelope, event, PAGE_ESCALATED)
    await tell_customer(deps, envelope, event)


async def sla_breached(
    deps: NotifyDeps, paging: PagingRepository, envelope: Envelope, event: SlaBreachedV1
) -> None:
    await page(deps, paging, envelope, event, PAGE_SLA_BREACHED)
    await tell_customer(deps, envelope, event)


async def tell_customer(
    deps: NotifyDeps, envelope: Envelope, event: TicketEscalatedV1 | SlaBreachedV1 | SlaWarningV1
) -> None:
    """The customer's email for the event, only while its template is switched on."""
    template = await deps.templates.get(envelope.type)
    if not template.enabled:
        return
    message_id = event_message_id(envelope.id, event.ticket_id, deps.mail_domain)
    ticket = await handlers.noted_ticket(deps, envelope, event.ticket_id, message_id)
    await handlers.notify_customer(deps, envelope, event, ticket, template, message_id)


async def page(
    deps: NotifyDeps,
    paging: PagingRepository,
    envelope: Envelope,
    event: TicketEscalatedV1 | SlaBreachedV1,
    template_name: str,
) -> None:
    """Email the department's paging addresses once per event; none set: a skipped record."""
    ticket = await deps.tickets.get(event.ticket_id)
    if ticket is None:
        raise TicketNotKnown(event.ticket_id)  # the bus retries until ticket.created is in
    department = event.department or ticket.department
    addresses = (await paging.get(department)).emails if department else ()
    template = await deps.templates.get(template_name)
    now = deps.clock()
    if not addresses:
        skipped = unpaged(
            event_id=envelope.id,
            event_type=envelope.type,
            template=template_name,
            ticket=ticket,
            department=department,
            now=now,
        )
        await deps.tickets.note_pages(ticket.ticket_id, [skipped.id])
        if await deps.deliveries.add(skipped):
            log.info("page for %s skipped: %s", envelope.id, skipped.error)
        return
    email = await deps.renderer.render(template, template_context(ticket, event))
    deliveries = pages(
        event_id=envelope.id,
        event_type=envelope.type,
        template=template_name,
        ticket=ticket,
        email=email,
        addresses=addresses,
        domain=deps.mail_domain,
        now=now,
    )
    # Listed before they are stored: a listed id with no delivery yet is skipped.
    await deps.tickets.note_pages(ticket.ticket_id, [d.id for d in deliveries])
    for delivery in deliveries:
        await handlers.deliver(deps, delivery)
