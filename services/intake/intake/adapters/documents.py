"""How a Ticket is laid out as a MongoDB document, and back.

What the customer wrote or is (address, name, subject, body, fields) and what is written
about it (resolution, history notes) is sealed per field (`ticketflow_shared.pii`); the
address is also kept as its blind index, which is what a customer's tickets are filed under.
A document from before sealing holds clear text, which reads as it is.
"""

import json
from dataclasses import asdict, replace
from typing import Any

from intake.adapters.handoff_documents import SEALED as HANDOFF_SEALED
from intake.adapters.handoff_documents import handoff_fields, handoff_parts
from intake.domain.attachments import AttachmentRef
from intake.domain.customers import checked_customer, customer_key
from intake.domain.idempotency import IdempotencyRecord
from intake.domain.messages import Message
from intake.domain.procedure import ProcedureStep, StepState
from intake.domain.ticket import Assignee, HistoryEntry, Ticket, TicketStatus
from ticketflow_shared.events import AuthorKind, Channel, Priority, Visibility
from ticketflow_shared.pii import FieldCipher, is_blind_index, is_sealed
from ticketflow_shared.resealing import Update

EMAIL = "ticket.customer.email"
NAME = "ticket.customer.name"
SUBJECT = "ticket.subject"
BODY = "ticket.body"
FIELDS = "ticket.fields"
RESOLUTION = "ticket.resolution"
NOTE = "ticket.history.note"
MESSAGE_BODY = "ticket.message.body"
MESSAGE_AUTHOR_NAME = "ticket.message.author_name"
# The fields a document seals; a re-seal pass rewrites these and nothing else.
SEALED_ONCE = ("customer", "customer_email", "subject", "body")
SEALED_ON_SAVE = ("resolution", "history", "messages", "fields", *HANDOFF_SEALED)


def to_document(ticket: Ticket, cipher: FieldCipher) -> dict[str, Any]:
    return {
        "_id": ticket.id,
        "channel": ticket.channel.value,
        "customer": {
            "email": cipher.seal_optional(ticket.customer.email, EMAIL),
            "name": cipher.seal_optional(ticket.customer.name, NAME),
            "customer_id": ticket.customer.customer_id,
        },
        # Whose ticket this is, as the customer's ticket list is keyed: never the address.
        "customer_email": customer_index(ticket.customer.email, cipher),
        "subject": cipher.seal(ticket.subject, SUBJECT),
        "body": cipher.seal(ticket.body, BODY),
        "category": ticket.category,
        "idempotency": _plain(ticket.idempotency),
        "created_at": ticket.created_at,
        "version": ticket.version,
        "department": ticket.department,
        "created_by": ticket.created_by,
        "follow_up_of": ticket.follow_up_of,
        "traceparent": ticket.traceparent,
        "external_refs": dict(ticket.external_refs),
        "customer_tier": ticket.customer_tier,
        "required_before_solve": list(ticket.required_before_solve),
        # What automatic triage decided at creation and why (rule names, scores; no text).
        "triage": ticket.triage,
        **mutable_fields(ticket, cipher),
    }


def customer_index(email: str | None, cipher: FieldCipher) -> str | None:
    """None for a customer without an address (a chat user): no list is keyed by it."""
    return None if email is None else cipher.blind_index(customer_key(email))


# Written before tickets kept high-water marks: every applied event id. Dropped on the next save.
LEGACY_FIELDS = ("applied_events",)


def mutable_fields(ticket: Ticket, cipher: FieldCipher) -> dict[str, Any]:
    """What save() rewrites; everything else is fixed when the ticket is created."""
    return {
        "status": ticket.status.value,
        "assignee": _plain(ticket.assignee),
        "history": [_history(entry, cipher) for entry in ticket.history],
        "sequences": dict(ticket.sequences),
        "resolution": cipher.seal_optional(ticket.resolution, RESOLUTION),
        "resolved_at": ticket.resolved_at,
        "updated_at": ticket.updated_at,
        # Who may see it, as scoped lists filter (the owner's and the agent's departments).
        "departments": sorted(ticket.departments),
        **lifecycle_fields(ticket, cipher),
        # Agents and macros change these; labels of the company's, not the customer's data.
        "priority": ticket.priority.value,
        "tags": list(ticket.tags),
        # A CRM's case a joined push brought, for a system that named the ticket by nothing.
        "external_refs": dict(ticket.external_refs),
        # Agents fill fields in (those a solve needs); sealed like the rest of what was written.
        "fields": cipher.seal(json.dumps(ticket.fields), FIELDS),
        **handoff_fields(ticket, cipher),
    }


def lifecycle_fields(ticket: Ticket, cipher: FieldCipher) -> dict[str, Any]:
    """The conversation (sealed like the ticket's body), the procedure and lifecycle marks."""
    return {
        "messages": [_message(message, cipher) for message in ticket.messages],
        "first_response_at": ticket.first_response_at,
        "reopen_count": ticket.reopen_count,
        "closed_at": ticket.closed_at,
        "follow_ups": list(ticket.follow_ups),
        "procedure": [_step(state) for state in ticket.procedure],
    }


def from_document(doc: dict[str, Any], cipher: FieldCipher) -> Ticket:
    assignee = doc.get("assignee")
    idempotency = doc.get("idempotency")
    customer = doc["customer"]
    return Ticket(
        id=doc["_id"],
        channel=Channel(doc["channel"]),
        # Checked on the way in; stored as written, IDNA domain included.
        customer=checked_customer(
            cipher.open_optional(customer["email"], EMAIL),
            cipher.open_optional(customer.get("name"), NAME),
            customer.get("customer_id"),
        ),
        subject=cipher.open(doc["subject"], SUBJECT),
        body=cipher.open(doc["body"], BODY),
        category=doc["category"],
        priority=Priority(doc["priority"]),
        fields=_fields(doc.get("fields"), cipher),
        status=_status(doc),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        assignee=Assignee(**assignee) if assignee else None,
        history=[
            HistoryEntry(
                **{
                    **entry,
                    "status": TicketStatus(entry["status"]),
                    "note": cipher.open_optional(entry.get("note"), NOTE),
                }
            )
            for entry in doc.get("history") or []
        ],
        sequences=dict(doc.get("sequences") or {}),
        resolution=cipher.open_optional(doc.get("resolution"), RESOLUTION),
        resolved_at=doc.get("resolved_at"),
        idempotency=IdempotencyRecord(**idempotency) if idempotency else None,
        version=doc.get("version", 0),
        department=doc.get("department"),
        created_by=doc.get("created_by"),
        messages=[_read_message(entry, cipher) for entry in doc.get("messages") or []],
        first_response_at=doc.get("first_response_at"),
        reopen_count=doc.get("reopen_count", 0),
        closed_at=doc.get("closed_at"),
        follow_up_of=doc.get("follow_up_of"),
        follow_ups=list(doc.get("follow_ups") or []),
        procedure=[_read_step(entry) for entry in doc.get("procedure") or []],
        tags=list(doc.get("tags") or []),
        external_refs=dict(doc.get("external_refs") or {}),
        customer_tier=doc.get("customer_tier"),
        required_before_solve=tuple(doc.get("required_before_solve") or ()),
        triage=doc.get("triage"),
        **handoff_parts(doc, cipher),
    )


def _status(doc: dict[str, Any]) -> TicketStatus:
    # Stored before the lifecycle: `queued` (nobody owned it) is still intake's `new`.
    status = TicketStatus(doc["status"])
    return TicketStatus.new if status is TicketStatus.queued else status


def _message(message: Message, cipher: FieldCipher) -> dict[str, Any]:
    return {
        **asdict(message),
        "author_kind": message.author_kind.value,
        "visibility": message.visibility.value,
        "body": cipher.seal(message.body, MESSAGE_BODY),
        "author_name": cipher.seal_optional(message.author_name, MESSAGE_AUTHOR_NAME),
    }


def _read_message(entry: dict[str, Any], cipher: FieldCipher) -> Message:
    return Message(
        **{
            **entry,
            "author_kind": AuthorKind(entry["author_kind"]),
            "visibility": Visibility(entry["visibility"]),
            "body": cipher.open(entry["body"], MESSAGE_BODY),
            "author_name": cipher.open_optional(entry.get("author_name"), MESSAGE_AUTHOR_NAME),
            "attachments": tuple(AttachmentRef(**a) for a in entry.get("attachments", ())),
        }
    )


def _step(state: StepState) -> dict[str, Any]:
    step = state.step
    return {
        "key": step.key,
        "label": step.label,
        "required": step.required,
        "macros": list(step.macros),
        "done_by": state.done_by,
        "done_at": state.done_at,
    }


def _read_step(entry: dict[str, Any]) -> StepState:
    step = ProcedureStep(
        entry["key"], entry["label"], entry.get("required", False), tuple(entry.get("macros", ()))
    )
    return StepState(step, entry.get("done_by"), entry.get("done_at"))


def resealed(doc: dict[str, Any], cipher: FieldCipher) -> list[Update] | None:
    """A stored document's sealed fields under the active key, or None if they are already.

    The fields fixed at creation need no guard; those save() writes are guarded by the
    document's `updated_at`, so a save meanwhile (which seals them itself) is not undone.
    """
    if cipher.is_current(doc["subject"]) and is_blind_index(doc["customer_email"]):
        return None
    fresh = to_document(from_document(doc, cipher), cipher)
    return [
        ({}, {name: fresh[name] for name in SEALED_ONCE}),
        ({"updated_at": doc["updated_at"]}, {name: fresh[name] for name in SEALED_ON_SAVE}),
    ]


def _fields(value: object, cipher: FieldCipher) -> dict[str, Any]:
    if is_sealed(value):
        return dict(json.loads(cipher.open(str(value), FIELDS)))
    return dict(value or {})  # type: ignore[call-overload]


def _history(entry: HistoryEntry, cipher: FieldCipher) -> dict[str, Any]:
    sealed = replace(entry, note=cipher.seal_optional(entry.note, NOTE))
    return {**asdict(sealed), "status": entry.status.value}


def _plain(value: Assignee | IdempotencyRecord | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)
