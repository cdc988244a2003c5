"""The ticket read model: one row per ticket, built from events that may come in any order.

Every event becomes a `TicketChange` whose parts commute: facts written by exactly one event
type, earliest-wins times, highest-wins ranks, set members and counters. Applying the same
changes in any order gives the same row, and an event id already applied changes nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticketflow_shared.events import (
    NotificationSentV1,
    Payload,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
    TicketStatus,
)

TICKET_EVENTS: tuple[type[Payload], ...] = (
    TicketCreatedV1,
    TicketQueuedV1,
    TicketAssignedV1,
    TicketResolvedV1,
    NotificationSentV1,
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


class TicketRow(BaseModel):
    """What reporting knows about one ticket; every field may still be missing."""

    model_config = ConfigDict(extra="ignore")

    ticket_id: str
    status_rank: int = 0
    category: str | None = None
    channel: str | None = None
    priority: str | None = None
    created_at: datetime | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    first_notified_at: datetime | None = None
    notifications: int = 0
    assignments: list[Assignment] = []
    applied_events: list[str] = []
    last_event_at: datetime | None = None

    @property
    def status(self) -> TicketStatus:
        return TicketStatus.from_rank(self.status_rank)

    @property
    def current_assignment(self) -> Assignment | None:
        """The latest assignment; agent id breaks ties so every replica picks the same one."""
        if not self.assignments:
            return None
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
        if self.status is not TicketStatus.resolved:
            return None
        return self.resolved_by or self.agent_id


@dataclass(frozen=True)
class TicketChange:
    """One event's contribution to a ticket row, in parts that commute with each other."""

    ticket_id: str
    event_id: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    earliest: Mapping[str, datetime] = field(default_factory=dict)
    highest: Mapping[str, Any] = field(default_factory=dict)
    members: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)


def ticket_change(event_id: str, event_time: datetime, payload: Payload) -> TicketChange:
    """Translate one ticket or notification event into its read-model change."""
    common = {"last_event_at": as_utc(event_time)}
    match payload:
        case TicketCreatedV1():
            return TicketChange(
                payload.ticket_id,
                event_id,
                facts={
                    "category": payload.category,
                    "channel": payload.channel.value,
                    "priority": payload.priority.value,
                },
                earliest={"created_at": as_utc(payload.created_at)},
                highest={**common, "status_rank": TicketStatus.new.rank},
            )
        case TicketQueuedV1():
            return TicketChange(
                payload.ticket_id,
                event_id,
                earliest={"queued_at": as_utc(payload.queued_at)},
                highest={**common, "status_rank": TicketStatus.queued.rank},
            )
        case TicketAssignedV1():
            assignment = Assignment(
                agent_id=payload.agent_id,
                agent_name=payload.agent_name,
                department=payload.department,
                skill=payload.skill,
                assigned_at=as_utc(payload.assigned_at),
            )
            return TicketChange(
                payload.ticket_id,
                event_id,
                earliest={"assigned_at": assignment.assigned_at},
                highest={**common, "status_rank": TicketStatus.assigned.rank},
                members={"assignments": assignment.model_dump()},
            )
        case TicketResolvedV1():
            # Resolution is terminal (no reopen event exists), so one event writes these facts.
            facts = {"resolved_by": payload.agent_id} if payload.agent_id else {}
            return TicketChange(
                payload.ticket_id,
                event_id,
                facts=facts,
                earliest={"resolved_at": as_utc(payload.resolved_at)},
                highest={**common, "status_rank": TicketStatus.resolved.rank},
            )
        case NotificationSentV1():
            return TicketChange(
                payload.ticket_id,
                event_id,
                earliest={"first_notified_at": as_utc(payload.sent_at)},
                highest={**common, "status_rank": TicketStatus.new.rank},
                counts={"notifications": 1},
            )
    raise TypeError(f"reporting keeps no ticket row for {payload.event_type}")


def apply_change(row: Mapping[str, Any] | None, change: TicketChange) -> dict[str, Any] | None:
    """The row after `change`, or None when this event was applied already.

    This is the meaning of the single-document update the Mongo adapter sends; the in-memory
    fake uses it, and the unit tests prove its order independence here.
    """
    state: dict[str, Any] = dict(row or {"ticket_id": change.ticket_id})
    applied = list(state.get("applied_events", []))
    if change.event_id in applied:
        return None
    state["applied_events"] = [*applied, change.event_id]
    state.update(change.facts)
    for name, value in change.earliest.items():
        state[name] = value if state.get(name) is None else min(state[name], value)
    for name, value in change.highest.items():
        state[name] = value if state.get(name) is None else max(state[name], value)
    for name, value in change.members.items():
        members = list(state.get(name, []))
        state[name] = members if value in members else [*members, value]
    for name, step in change.counts.items():
        state[name] = state.get(name, 0) + step
    return state
