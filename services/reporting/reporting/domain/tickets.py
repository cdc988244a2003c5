"""The ticket read model: one row per ticket, built from events that may come in any order.

A row holds two kinds of knowledge. Where the ticket stands now (status, who holds it, who
resolved it) is each producer's latest word, kept per producer in `streams` with the
sequence of the event that said it: an event whose sequence is not above that changes none
of it, so a repeat or a late event never rewinds the row, while a newer one may move it
anywhere, back included. What happened at all (first queued, assigned, resolved and
notified times, everyone who held the ticket, its category) are facts that commute:
earliest-wins times, set members, facts only one event type writes. Those are taken from
every event, late ones too, so every arrival order gives the same row, and taking them twice
changes nothing.

Intake owns whether a ticket is open; routing says where an open ticket stands. Their
sequences count different things and are never compared with each other.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticketflow_shared.events import (
    Envelope,
    NotificationSentV1,
    Payload,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
    is_newer,
)

TICKET_EVENTS: tuple[type[Payload], ...] = (
    TicketCreatedV1,
    TicketQueuedV1,
    TicketAssignedV1,
    TicketResolvedV1,
    NotificationSentV1,
)
LIFECYCLE = "intake"  # ticket.created, ticket.resolved: whether the ticket is open
ROUTING = "routing"  # ticket.queued, ticket.assigned: where an open ticket stands
# How rows written before sequences kept their status: the index of the highest seen.
LEGACY_STATUS_ORDER = (
    TicketStatus.new,
    TicketStatus.queued,
    TicketStatus.open,
    TicketStatus.solved,
)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC time; a naive time is taken to be UTC already (that is how the store keeps it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    agent_id: str
    agent_name: str
    department: str
    skill: str
    assigned_at: datetime


class StreamState(BaseModel):
    """One producer's latest word about a ticket, and the sequence of the event that said it."""

    model_config = ConfigDict(extra="ignore")

    status: TicketStatus
    sequence: int | None = None
    assignment: Assignment | None = None
    resolved_by: str | None = None


class TicketRow(BaseModel):
    """What reporting knows about one ticket; every field may still be missing."""

    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    streams: dict[str, StreamState] = {}
    category: str | None = None
    channel: str | None = None
    priority: str | None = None
    created_at: datetime | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    first_notified_at: datetime | None = None
    notifications: int = 0
    assignments: list[Assignment] = []
    events_applied: int = 0
    last_event_at: datetime | None = None
    # Kept by rows written before sequences; read only while no newer word replaces them.
    status_rank: int | None = None
    resolved_by: str | None = None
    # The department that owns the ticket and who opened it (None on rows from before).
    owner_department: str | None = None
    created_by: str | None = None

    @property
    def departments(self) -> frozenset[str]:
        """Who may see the row: the owning department and every department that held it."""
        held = {assignment.department for assignment in self.assignments}
        return frozenset(d for d in (self.owner_department, *held) if d)

    @property
    def status(self) -> TicketStatus:
        """Closed if intake says so; while open, where routing last said it stands."""
        lifecycle = self.streams.get(LIFECYCLE)
        owner_says = lifecycle.status if lifecycle else self._legacy_status()
        if owner_says is not None and not owner_says.is_open:
            return owner_says
        routing = self.streams.get(ROUTING)
        if routing is not None:
            return routing.status
        return owner_says or TicketStatus.new

    @property
    def current_assignment(self) -> Assignment | None:
        """Who holds the ticket by routing's latest word: nobody once it was queued again."""
        routing = self.streams.get(ROUTING)
        if routing is not None:
            return routing.assignment
        if not self.assignments:
            return None
        # A row from before sequences: the latest by time, agent id breaking ties.
        return max(self.assignments, key=lambda a: (as_utc(a.assigned_at), a.agent_id))

    @property
    def department(self) -> str | None:
        current = self.current_assignment
        return current.department if current else None

    @property
    def agent_id(self) -> str | None:
        current = self.current_assignment
        return current.agent_id if current else None

    @property
    def resolver(self) -> str | None:
        """Who resolved it: the agent named on the event, else whoever held the ticket."""
        if self.status is not TicketStatus.solved:
            return None
        lifecycle = self.streams.get(LIFECYCLE)
        named = lifecycle.resolved_by if lifecycle else self.resolved_by
        return named or self.agent_id

    def _legacy_status(self) -> TicketStatus | None:
        if self.status_rank is None:
            return None
        return LEGACY_STATUS_ORDER[max(0, min(self.status_rank, len(LEGACY_STATUS_ORDER) - 1))]


@dataclass(frozen=True)
class TicketChange:
    """One event's contribution to a ticket row.

    `state` is the producer's word after the event, kept only if `sequence` is above the
    producer's mark; a notification (`notification`, its id) is counted only once. The facts
    (`facts`, `earliest`, `latest`, `members`) are kept from every event.
    """

    ticket_id: str
    producer: str
    sequence: int | None = None
    state: Mapping[str, Any] | None = None
    notification: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    earliest: Mapping[str, datetime] = field(default_factory=dict)
    latest: Mapping[str, datetime] = field(default_factory=dict)
    members: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stream_state(self) -> dict[str, Any] | None:
        """`state` as stored under `streams.<producer>`, its sequence included when known."""
        if self.state is None:
            return None
        if self.sequence is None:
            return dict(self.state)
        return {**self.state, "sequence": self.sequence}


def ticket_change(envelope: Envelope, payload: Payload) -> TicketChange:
    """Translate one ticket or notification event into its read-model change."""
    ordered = {
        "ticket_id": getattr(payload, "ticket_id", envelope.subject),
        "producer": envelope.producer,
        "sequence": envelope.sequence,
        "latest": {"last_event_at": as_utc(envelope.time)},
    }
    match payload:
        case TicketCreatedV1():
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.new.value},
                facts={
                    "category": payload.category,
                    "channel": payload.channel.value,
                    "priority": payload.priority.value,
                    "owner_department": payload.department,
                    "created_by": payload.created_by,
                },
                earliest={"created_at": as_utc(payload.created_at)},
            )
        case TicketQueuedV1():
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.queued.value, "assignment": None},
                earliest={"queued_at": as_utc(payload.queued_at)},
            )
        case TicketAssignedV1():
            assignment = Assignment(
                agent_id=payload.agent_id,
                agent_name=payload.agent_name,
                department=payload.department,
                skill=payload.skill,
                assigned_at=as_utc(payload.assigned_at),
            ).model_dump()
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.open.value, "assignment": assignment},
                earliest={"assigned_at": assignment["assigned_at"]},
                members={"assignments": assignment},
            )
        case TicketResolvedV1():
            return TicketChange(
                **ordered,
                state={"status": TicketStatus.solved.value, "resolved_by": payload.agent_id},
                earliest={"resolved_at": as_utc(payload.resolved_at)},
            )
        case NotificationSentV1():
            # Notify's events are about its deliveries, not in a ticket's order: each is
            # counted once by its id.
            return TicketChange(
                **{**ordered, "sequence": None},
                notification=payload.notification_id,
                earliest={"first_notified_at": as_utc(payload.sent_at)},
            )
    raise TypeError(f"reporting keeps no ticket row for {payload.event_type}")


def moves_on(row: Mapping[str, Any] | None, change: TicketChange) -> bool:
    """Whether `change` is news to `row`: a producer's newer word, or an uncounted notification."""
    if change.notification is not None:
        return change.notification not in (row or {}).get("notified", [])
    if change.state is None:
        return False
    return is_newer(change.sequence, applied_sequence(row, change.producer))


def applied_sequence(row: Mapping[str, Any] | None, producer: str) -> int | None:
    """The highest sequence from `producer` this row applied, None if none was."""
    stream = ((row or {}).get("streams") or {}).get(producer) or {}
    return stream.get("sequence")


def apply_change(
    row: Mapping[str, Any] | None, change: TicketChange
) -> tuple[dict[str, Any], bool]:
    """The row after `change`, and whether it moved the row on (False: only its facts were
    kept, being a repeat or a late event).

    This is the meaning of the single-document updates the Mongo adapter sends; the in-memory
    fake uses it, and the unit tests prove its order independence here.
    """
    state: dict[str, Any] = dict(row or {"ticket_id": change.ticket_id})
    news = moves_on(row, change)
    state.update(change.facts)
    for name, value in change.earliest.items():
        state[name] = value if state.get(name) is None else min(state[name], value)
    for name, value in change.latest.items():
        state[name] = value if state.get(name) is None else max(state[name], value)
    for name, value in change.members.items():
        members = list(state.get(name, []))
        state[name] = members if value in members else [*members, value]
    if news:
        if change.stream_state is not None:
            state["streams"] = {**state.get("streams", {}), change.producer: change.stream_state}
        if change.notification is not None:
            state["notified"] = [*state.get("notified", []), change.notification]
            state["notifications"] = state.get("notifications", 0) + 1
        state["events_applied"] = state.get("events_applied", 0) + 1
    return state, news
