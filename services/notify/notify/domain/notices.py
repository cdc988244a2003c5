"""Which events the customer hears about, and which template tells them.

Created, assigned and resolved always do, each through the template named by its event type.
A message does only when it is an agent's public reply: internal notes never leave the
company, and the customer does not need their own words back. A status change does only when
its status has a template (`status.<status>`) that is switched on; `solved` has none, since
the resolved email stays on `ticket.resolved.v1`. A customer's new request that intake joined
to their open ticket (a duplicate) is told which ticket it went to (`joined`).
"""

from ticketflow_shared.events import (
    AuthorKind,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatus,
    Visibility,
)

REPLY = "reply"
JOINED = "joined"
STATUS_PREFIX = "status."
EVENT_TEMPLATES = tuple(e.event_type for e in (TicketCreatedV1, TicketAssignedV1, TicketResolvedV1))
# Statuses a customer may be told about; `new`/`queued` are before any, `solved` is resolved.
CUSTOMER_STATUSES = (
    TicketStatus.pending,
    TicketStatus.on_hold,
    TicketStatus.open,
    TicketStatus.closed,
)


def status_template(status: TicketStatus) -> str | None:
    """The template announcing `status` to the customer, or None if no status has one."""
    return f"{STATUS_PREFIX}{status.value}" if status in CUSTOMER_STATUSES else None


def reaches_customer(message: TicketMessageAddedV1) -> bool:
    return message.visibility is Visibility.public and message.author_kind is AuthorKind.agent


def message_template(message: TicketMessageAddedV1) -> str | None:
    """The template telling the customer of this message, or None if it stays unannounced.
    A copy from a merged ticket was told (or was the customer's own) where it was written."""
    if message.joined == "merge":
        return None
    if reaches_customer(message):
        return REPLY
    if message.author_kind is AuthorKind.customer and message.joined == "duplicate":
        return JOINED
    return None
