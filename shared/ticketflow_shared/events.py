"""Versioned event contracts in a CloudEvents 1.0 envelope; the one copy every service uses."""

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
    """A ticket's lifecycle; declaration order is lifecycle order."""

    new = "new"
    queued = "queued"
    assigned = "assigned"
    resolved = "resolved"

    @property
    def rank(self) -> int:
        """A ticket only ever moves to a higher rank, whatever order events arrive in."""
        return list(TicketStatus).index(self)

    @classmethod
    def from_rank(cls, rank: int) -> "TicketStatus":
        statuses = list(cls)
        return statuses[max(0, min(rank, len(statuses) - 1))]

    @property
    def is_open(self) -> bool:
        return self is not TicketStatus.resolved


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
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailStr
    name: str | None = Field(default=None, max_length=200)


class TicketCreatedV1(Payload):
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
    event_type: ClassVar[str] = "ticket.resolved.v1"

    ticket_id: str
    agent_id: str | None = None
    resolution: str | None = None
    resolved_at: datetime


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


EVENT_TYPES: dict[str, type[Payload]] = {
    model.event_type: model
    for model in (
        TicketCreatedV1,
        TicketQueuedV1,
        TicketAssignedV1,
        TicketResolvedV1,
        AgentUpdatedV1,
        NotificationSentV1,
    )
}


class Envelope(BaseModel):
    """CloudEvents 1.0 structured envelope, with the distributed-tracing extension."""

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

    @classmethod
    def wrap(cls, payload: Payload, *, source: str, subject: str, **extra: Any) -> "Envelope":
        return cls(
            source=source,
            type=payload.event_type,
            subject=subject,
            data=payload.model_dump(mode="json"),
            **extra,
        )

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
