"""Paging: the addresses that hear about a department's escalations and SLA breaches.

Pages are internal mail: they go to the department's paging addresses (kept as data), never
to the customer, and thread among themselves (one internal root per ticket), apart from the
customer's thread. One delivery per event and address, so a copy of the event pages nobody
twice; a department without addresses records one skipped delivery for the event.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from notify.domain.deliveries import Delivery
from notify.domain.templates import RenderedEmail
from notify.domain.threads import Threading, atom
from notify.domain.tickets import TicketView

PAGE = "page"
PAGE_ESCALATED = "page.escalated"
PAGE_SLA_BREACHED = "page.sla_breached"
PAGE_TEMPLATES = (PAGE_ESCALATED, PAGE_SLA_BREACHED)
MAX_ADDRESSES = 20


@dataclass(frozen=True)
class PagingList:
    """Who is paged for one department; empty until an operator sets it."""

    department: str
    emails: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None


def page_delivery_id(event_id: str, address: str = "") -> str:
    """One delivery per event and paged address; without an address, the event's skip."""
    return f"{event_id}:{PAGE}:{address.lower()}" if address else f"{event_id}:{PAGE}"


def page_message_id(event_id: str, address: str, domain: str) -> str:
    return f"<{atom(event_id)}.{atom(address.lower())}.page@{domain}>"


def internal_root(ticket_id: str, domain: str) -> str:
    """The Message-ID every page about a ticket answers, so a supervisor's client threads them
    together, never with the customer's emails."""
    return f"<{atom(ticket_id)}.internal@{domain}>"


def internal_threading(ticket_id: str, domain: str) -> Threading:
    root = internal_root(ticket_id, domain)
    return Threading(in_reply_to=root, references=(root,))


def pages(
    *,
    event_id: str,
    event_type: str,
    template: str,
    ticket: TicketView,
    email: RenderedEmail,
    addresses: tuple[str, ...],
    domain: str,
    now: datetime,
) -> list[Delivery]:
    """The deliveries paging `addresses` about one event."""
    base = Delivery.for_event(
        event_id=event_id,
        event_type=event_type,
        template=template,
        ticket=ticket,
        email=email,
        message_id=page_message_id(event_id, "", domain),
        threading=internal_threading(ticket.ticket_id, domain),
        now=now,
    )
    return [
        replace(
            base,
            id=page_delivery_id(event_id, address),
            recipient=address,
            recipient_name=None,
            message_id=page_message_id(event_id, address, domain),
            events=[],
        )
        for address in dict.fromkeys(a.lower() for a in addresses)
    ]


def unpaged(
    *,
    event_id: str,
    event_type: str,
    template: str,
    ticket: TicketView,
    department: str | None,
    now: datetime,
) -> Delivery:
    """The record that an event paged nobody: its department has no paging addresses."""
    delivery = Delivery.for_event(
        event_id=event_id,
        event_type=event_type,
        template=template,
        ticket=ticket,
        email=RenderedEmail(subject="", body=""),
        message_id=page_message_id(event_id, "", ""),
        now=now,
    )
    delivery = replace(delivery, id=page_delivery_id(event_id), recipient="", recipient_name=None)
    reason = (
        f"department {department} has no paging addresses"
        if department
        else "the ticket has no department to page"
    )
    delivery.skip(now, reason)
    return delivery
