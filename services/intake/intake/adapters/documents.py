"""How a Ticket is laid out as a MongoDB document, and back."""

from dataclasses import asdict
from typing import Any

from intake.domain.customers import checked_customer, customer_key
from intake.domain.idempotency import IdempotencyRecord
from intake.domain.ticket import Assignee, HistoryEntry, Ticket, TicketStatus
from ticketflow_shared.events import Channel, Priority


def to_document(ticket: Ticket) -> dict[str, Any]:
    return {
        "_id": ticket.id,
        "channel": ticket.channel.value,
        "customer": ticket.customer.model_dump(),
        # Whose ticket this is, as the customer's ticket list is keyed.
        "customer_email": customer_key(ticket.customer.email),
        "subject": ticket.subject,
        "body": ticket.body,
        "category": ticket.category,
        "priority": ticket.priority.value,
        "fields": ticket.fields,
        "idempotency": _plain(ticket.idempotency),
        "created_at": ticket.created_at,
        "version": ticket.version,
        "department": ticket.department,
        "created_by": ticket.created_by,
        **mutable_fields(ticket),
    }


# Written before tickets kept high-water marks: every applied event id. Dropped on the next save.
LEGACY_FIELDS = ("applied_events",)


def mutable_fields(ticket: Ticket) -> dict[str, Any]:
    """What save() rewrites; everything else is fixed when the ticket is created."""
    return {
        "status": ticket.status.value,
        "assignee": _plain(ticket.assignee),
        "history": [_history(entry) for entry in ticket.history],
        "sequences": dict(ticket.sequences),
        "resolution": ticket.resolution,
        "resolved_at": ticket.resolved_at,
        "updated_at": ticket.updated_at,
        # Who may see it, as scoped lists filter (the owner's and the agent's departments).
        "departments": sorted(ticket.departments),
    }


def from_document(doc: dict[str, Any]) -> Ticket:
    assignee = doc.get("assignee")
    idempotency = doc.get("idempotency")
    return Ticket(
        id=doc["_id"],
        channel=Channel(doc["channel"]),
        # Checked on the way in; stored as written, IDNA domain included.
        customer=checked_customer(doc["customer"]["email"], doc["customer"].get("name")),
        subject=doc["subject"],
        body=doc["body"],
        category=doc["category"],
        priority=Priority(doc["priority"]),
        fields=dict(doc.get("fields") or {}),
        status=TicketStatus(doc["status"]),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        assignee=Assignee(**assignee) if assignee else None,
        history=[
            HistoryEntry(**{**entry, "status": TicketStatus(entry["status"])})
            for entry in doc.get("history") or []
        ],
        sequences=dict(doc.get("sequences") or {}),
        resolution=doc.get("resolution"),
        resolved_at=doc.get("resolved_at"),
        idempotency=IdempotencyRecord(**idempotency) if idempotency else None,
        version=doc.get("version", 0),
        department=doc.get("department"),
        created_by=doc.get("created_by"),
    )


def _history(entry: HistoryEntry) -> dict[str, Any]:
    return {**asdict(entry), "status": entry.status.value}


def _plain(value: Assignee | IdempotencyRecord | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)
