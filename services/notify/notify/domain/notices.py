"""Which events the customer hears about, and which template tells them.

Created, assigned and resolved always do, each through the template named by its event type.
A message does only when it is an agent's public reply: internal notes never leave the
company, and the customer does not need their own words back. A status change does only when
its status has a template (`status.<status>`) that is switched on; `solved` has none, since
the resolved email stays on `ticket.resolved.v1`.
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
