"""Versioned event contracts in a CloudEvents 1.0 envelope; the one copy every service uses."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError


class InvalidEvent(ValueError):
    """A message that can never be handled: not an envelope, unknown type, or bad payload."""


class Priority(StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"

    @property
    def rank(self) -> int:
        """0 is served first."""
        return list(Priority).index(self)


class TicketStatus(StrEnum):
    """Where a ticket stands. Intake owns the lifecycle: `new` → `open` (an agent owns it) ⇄
    `pending` (waiting on the customer) ⇄ `on_hold` (waiting on a third party or another
    department) → `solved` → `closed`; a solved ticket may be reopened. `queued` is routing's
    view of a ticket waiting for an agent. A ticket may come back to an earlier status: which
    change is newer is told by the events' `sequence`, never by the statuses themselves.

    `assigned` and `resolved`, written before the lifecycle, read as `open` and `solved`.
    """

    new = "new"
    queued = "queued"
    open = "open"
    pending = "pending"
    on_hold = "on_hold"
    solved = "solved"
    closed = "closed"

    @classmethod
    def _missing_(cls, value: object) -> "TicketStatus | None":
        return _LEGACY_STATUSES.get(value) if isinstance(value, str) else None

    @property
    def is_open(self) -> bool:
        """Still being worked on: neither solved nor closed."""
        return self not in (TicketStatus.solved, TicketStatus.closed)


_LEGACY_STATUSES = {"assigned": TicketStatus.open, "resolved": TicketStatus.solved}


class Visibility(StrEnum):
    """Who may read a message: `public` ones reach the customer, `internal` notes never
    leave the company."""

    public = "public"
    internal = "internal"


class AuthorKind(StrEnum):
    customer = "customer"
    agent = "agent"
    system = "system"


class Channel(StrEnum):
    web = "web"
    api = "api"
    email = "email"
    chat = "chat"
    crm = "crm"


class Presence(StrEnum):
    available = "available"
    away = "away"
    offline = "offline"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Payload(BaseModel):
    """Base of every event payload: strict on the way in, complete on the way out."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    event_type: ClassVar[str]


class Customer(BaseModel):
    """Who wrote in. `email` is absent for a chat user whose address nobody knows yet (no
    email can reach them); `customer_id` is intake's unified customer record, when known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=64)


class ArticleSuggestion(BaseModel):
    """A knowledge-base article that may answer the ticket; `url` (when intake has a public
    address) opens it for the customer, with a button to close the ticket as self-service."""

    article_id: str
    title: str
    url: str | None = None


class TicketCreatedV1(Payload):
    """`department` owns the ticket (its category's; None when the category names none);
    `created_by` is the actor that opened it (`key:<id>`, `user:<sub>`), so an integration can
    read what it created. Both are absent on events from before access control.
    `suggestions`: triage's best knowledge-base articles for it, best first (at most three)."""

    event_type: ClassVar[str] = "ticket.created.v1"

    ticket_id: str
    channel: Channel
    customer: Customer
    subject: str
    body: str
    category: str
    priority: Priority
    fields: dict[str, str | int | float | bool] = Field(default_factory=dict)
    created_at: datetime
    department: str | None = None
    created_by: str | None = None
    # The ids other systems know the ticket by (a CRM's case id, a chat conversation).
    external_refs: dict[str, str] = Field(default_factory=dict)
    # The customer's tier (from their CRM record), which SLA policies may depend on.
    customer_tier: str | None = None
    # The language the customer wrote in (a lower-case tag such as "en", "zh"), when known.
    language: str | None = Field(default=None, max_length=16)
    suggestions: list[ArticleSuggestion] = Field(default_factory=list, max_length=3)


class TicketQueuedV1(Payload):
    event_type: ClassVar[str] = "ticket.queued.v1"

    ticket_id: str
    required_skill: str
    priority: Priority
    queued_at: datetime


class TicketAssignedV1(Payload):
    event_type: ClassVar[str] = "ticket.assigned.v1"

    ticket_id: str
    agent_id: str
    agent_name: str
    department: str
    skill: str
    skill_level: int
    assigned_at: datetime


class TicketResolvedV1(Payload):
    """`self_service_article`: the knowledge-base article the customer said solved it, when
    the customer solved the ticket from the acknowledgement's link rather than an agent."""

    event_type: ClassVar[str] = "ticket.resolved.v1"

    ticket_id: str
    agent_id: str | None = None
    resolution: str | None = None
    resolved_at: datetime
    self_service_article: str | None = None


class TicketStatusChangedV1(Payload):
    """A lifecycle transition, with who made it and why. `actor` is `user:<sub>`, `key:<id>`
    or `system` (an automatic close); `agent_id` and `department` are the ticket's owners after
    the change; `reopened` marks a solved ticket brought back by a customer message."""

    event_type: ClassVar[str] = "ticket.status_changed.v1"

    ticket_id: str
    status: TicketStatus
    previous: TicketStatus
    actor: str
    reason: str | None = None
    agent_id: str | None = None
    department: str | None = None
    reopened: bool = False
    changed_at: datetime


class TicketMessageAddedV1(Payload):
    """A message on a ticket's thread: from the customer, a public reply or an internal note.
    `first_response` marks the ticket's first public reply. `in_reply_to` is the id of the
    message this one answers, when known (what email threading is built from)."""

    event_type: ClassVar[str] = "ticket.message_added.v1"

    ticket_id: str
    message_id: str
    author: str
    author_kind: AuthorKind
    author_name: str | None = None
    visibility: Visibility
    body: str
    department: str | None = None
    agent_id: str | None = None
    in_reply_to: str | None = None
    first_response: bool = False
    added_at: datetime
    channel: str | None = None  # the channel a customer's message came in by (email, chat…)
    # Why a customer's message joined this thread instead of opening a ticket: `duplicate` (a
    # new request repeated this open ticket) or `merge` (copied from a merged ticket).
    joined: str | None = None


class TicketTransferredV1(Payload):
    """Ownership moved to another department (optionally to agents with `skill`), with the
    handoff note and the checklist items the sender confirmed."""

    event_type: ClassVar[str] = "ticket.transferred.v1"

    ticket_id: str
    from_department: str | None = None
    to_department: str
    skill: str | None = None
    from_agent_id: str | None = None
    note: str
    checklist: list[str] = Field(default_factory=list)
    priority: Priority
    category: str
    actor: str
    transferred_at: datetime


class TicketUpdatedV1(Payload):
    """The ticket's priority, tags or fields changed (by an agent, or a macro)."""

    event_type: ClassVar[str] = "ticket.updated.v1"

    ticket_id: str
    priority: Priority
    tags: list[str] = Field(default_factory=list)
    actor: str
    updated_at: datetime
    # The ticket fields an agent set, with their new values (None: no field changed).
    fields: dict[str, str | int | float | bool] | None = None


class TicketConsultedV1(Payload):
    """A side conversation with another department: asked (`open`) or answered; ownership
    stays where it is."""

    event_type: ClassVar[str] = "ticket.consulted.v1"

    ticket_id: str
    consult_id: str
    department: str
    status: Literal["open", "answered"]
    question: str
    answer: str | None = None
    actor: str
    at: datetime


class AgentUpdatedV1(Payload):
    event_type: ClassVar[str] = "agent.updated.v1"

    agent_id: str
    name: str
    department: str
    skills: dict[str, int]
    capacity: int
    presence: Presence
    active_tickets: int
    updated_at: datetime
    # Why the presence is what it is ("missed offer", "lunch"), when someone said.
    presence_reason: str | None = None


class TicketOfferedV1(Payload):
    """Routing offered the ticket to one agent, who accepts or declines before `expires_at`;
    an accepted offer is followed by ticket.assigned.v1."""

    event_type: ClassVar[str] = "ticket.offered.v1"

    ticket_id: str
    offer_id: str
    agent_id: str
    department: str | None = None
    offered_at: datetime
    expires_at: datetime


class OfferOutcome(StrEnum):
    accepted = "accepted"
    declined = "declined"
    expired = "expired"  # no answer in time
    withdrawn = "withdrawn"  # the ticket was settled or moved before an answer


class TicketOfferEndedV1(Payload):
    event_type: ClassVar[str] = "ticket.offer_ended.v1"

    ticket_id: str
    offer_id: str
    agent_id: str
    outcome: OfferOutcome
    reason: str | None = None
    ended_at: datetime


class EscalationTrigger(StrEnum):
    wait = "wait"  # a queue policy's step after so long waiting
    sla = "sla"  # an SLA target breached (the policy's action)
    emotion = "emotion"  # angry or crisis language from the customer
    manual = "manual"


class TicketEscalatedV1(Payload):
    """A ticket was escalated: by routing (waiting time, SLA breach) or by intake (the
    customer's emotion). `priority` is the priority it has now, when the escalation raised
    it; `page_supervisor` asks notify to page the department's supervisors; `overflow_to`
    names the department it was moved to. `source` is the producing service: each service
    acts on the escalations of the others, never on its own."""

    event_type: ClassVar[str] = "ticket.escalated.v1"

    ticket_id: str
    source: str
    trigger: EscalationTrigger
    reason: str
    step: int | None = None
    priority: Priority | None = None
    page_supervisor: bool = False
    overflow_to: str | None = None
    department: str | None = None
    agent_id: str | None = None
    escalated_at: datetime


class SlaTarget(StrEnum):
    first_response = "first_response"
    next_response = "next_response"
    resolution = "resolution"


class _SlaEvent(Payload):
    ticket_id: str
    target: SlaTarget
    # Which round of a target that recurs (next response: one per customer message); 0 else.
    cycle: int = 0
    policy: str
    policy_version: int
    priority: Priority
    department: str | None = None
    agent_id: str | None = None
    target_seconds: float
    due_at: datetime
    at: datetime


class SlaWarningV1(_SlaEvent):
    """`share` of an SLA target's time is used up (by default 75 %)."""

    event_type: ClassVar[str] = "sla.warning.v1"

    share: float


class SlaBreachedV1(_SlaEvent):
    """An SLA target's due time passed unmet; sent once per target and cycle."""

    event_type: ClassVar[str] = "sla.breached.v1"


class NotificationSentV1(Payload):
    event_type: ClassVar[str] = "notification.sent.v1"

    notification_id: str
    ticket_id: str
    cause_event_id: str
    cause_event_type: str
    channel: Literal["email"] = "email"
    recipient: str
    template: str
    sent_at: datetime


class ApiKeyIssuedV1(Payload):
    """An admin issued an API key. Only a hash of its secret travels; every service keeps its
    own copy of the keys from these events."""

    event_type: ClassVar[str] = "apikey.issued.v1"

    key_id: str
    name: str
    secret_hash: str
    roles: list[str]
    departments: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    issued_by: str
    issued_at: datetime


class ApiKeyRevokedV1(Payload):
    event_type: ClassVar[str] = "apikey.revoked.v1"

    key_id: str
    revoked_by: str
    revoked_at: datetime


class TicketMergedV1(Payload):
    """An agent merged this ticket into `into` (the same customer's): its thread was copied
    there (as messages with `joined: merge`) and it was closed, pointing to `into`."""

    event_type: ClassVar[str] = "ticket.merged.v1"

    ticket_id: str
    into: str
    actor: str
    merged_at: datetime


class TicketSplitV1(Payload):
    """An agent split a customer's message out of this ticket into a new ticket of its own
    (`new_ticket_id`, opened with its own ticket.created.v1)."""

    event_type: ClassVar[str] = "ticket.split.v1"

    ticket_id: str
    message_id: str
    new_ticket_id: str
    actor: str
    split_at: datetime


EVENT_TYPES: dict[str, type[Payload]] = {
    model.event_type: model
    for model in (
        TicketCreatedV1,
        TicketQueuedV1,
        TicketAssignedV1,
        TicketResolvedV1,
        TicketStatusChangedV1,
        TicketMessageAddedV1,
        TicketTransferredV1,
        TicketUpdatedV1,
        TicketConsultedV1,
        AgentUpdatedV1,
        TicketOfferedV1,
        TicketOfferEndedV1,
        TicketEscalatedV1,
        TicketMergedV1,
        TicketSplitV1,
        SlaWarningV1,
        SlaBreachedV1,
        NotificationSentV1,
        ApiKeyIssuedV1,
        ApiKeyRevokedV1,
    )
}


def is_newer(sequence: int | None, applied: int | None) -> bool:
    """Whether an event at `sequence` is newer than the highest one applied from its producer
    about the same aggregate (`applied`, None when none was).

    An event from before sequences existed (None) cannot be ordered: it is taken as it comes
    while nothing sequenced has been applied, and never over something that was.
    """
    if applied is None:
        return True
    return sequence is not None and sequence > applied


@dataclass(frozen=True)
class Position:
    """Where one event stands in its producer's history of one aggregate: what a consumer
    needs to apply it in order, and to know a repeat or a late arrival when it sees one."""

    event_id: str
    producer: str
    sequence: int | None = None

    def is_newer_than(self, applied: int | None) -> bool:
        return is_newer(self.sequence, applied)

    def advance(self, marks: dict[str, int]) -> None:
        """Record this event as the highest applied from its producer (`marks` by producer)."""
        if self.sequence is not None:
            marks[self.producer] = max(self.sequence, marks.get(self.producer, self.sequence))


class Envelope(BaseModel):
    """CloudEvents 1.0 structured envelope, with the distributed-tracing extension and the
    `sequence` extension: the version of the aggregate named by `subject`, as its producer
    (`source`) keeps it, after the change the event reports. Versions of one aggregate only
    grow, so a consumer keeps the highest it applied per (source, subject) and ignores an
    event that is not above it; sequences of different sources are never compared. Written
    as a JSON number (a numeric string is read too). None on events from before sequences,
    and on notify's events, which are about deliveries rather than a ticket's history.

    `agent.updated` carries the agent's profile version, which a change of the agent's load
    does not raise: within one version, consumers order those by `updated_at`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: uuid4().hex)
    source: str
    type: str
    time: datetime = Field(default_factory=utcnow)
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    traceparent: str | None = None
    tracestate: str | None = None
    sequence: int | None = Field(default=None, ge=0)

    @classmethod
    def wrap(cls, payload: Payload, *, source: str, subject: str, **extra: Any) -> "Envelope":
        return cls(
            source=source,
            type=payload.event_type,
            subject=subject,
            data=payload.model_dump(mode="json"),
            **extra,
        )

    @property
    def producer(self) -> str:
        """The producing service, from `source` (`/ticketflow/routing` -> `routing`): what
        consumers key their high-water marks by, safe as a document field name."""
        name = self.source.rstrip("/").rsplit("/", 1)[-1]
        return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"

    def position(self) -> Position:
        return Position(self.id, self.producer, self.sequence)

    def in_sequence(self, sequence: int | None) -> "Envelope":
        """This envelope stamped with its aggregate's version after the change."""
        return self.model_copy(update={"sequence": sequence})

    def trace_carrier(self) -> dict[str, str]:
        carrier = {"traceparent": self.traceparent or ""}
        if self.tracestate:
            carrier["tracestate"] = self.tracestate
        return carrier

    def payload(self) -> Payload:
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise InvalidEvent(f"unknown event type {self.type!r}")
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise InvalidEvent(f"{self.type}: {exc}") from exc


def parse_envelope(body: bytes) -> tuple[Envelope, Payload]:
    """Parse and validate a message body; raise InvalidEvent for anything unusable."""
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidEvent(f"not a ticketflow envelope: {exc}") from exc
    return envelope, envelope.payload()
