"""The ticket read model: one row per ticket, built from events that may come in any order.

A row holds two kinds of knowledge. Where the ticket stands now (status, who holds it, who
resolved it) is each producer's latest word, kept per producer in `streams` with the
sequence of the event that said it: an event whose sequence is not above that changes none
of it, so a repeat or a late event never rewinds the row, while a newer one may move it
anywhere, back included. What happened at all (first queued, assigned, resolved and
notified times, everyone who held the ticket, every status change, message, handoff,
priority change and consult) are facts that commute: earliest- and latest-wins times, set
members, facts only one event type writes. Those are taken from every event, late ones too,
so every arrival order gives the same row, and taking them twice changes nothing. Events
that say nothing about where the ticket stands (messages, transfers, updates, consults,
notifications) are counted once by a key of their own (`once`).

Intake owns the lifecycle; routing says whether a new or open ticket is held or waits in its
queue. Their sequences count different things and are never compared with each other.
"""

from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from functools import cached_property
from itertools import pairwise
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from reporting.domain import history
from reporting.domain.history import Consult, Message, PriorityChange, Transfer, Transition
from reporting.domain.routing_facts import Escalation, Offer, OfferEnd, SlaMark
from ticketflow_shared.events import TicketStatus

T = TypeVar("T")
LIFECYCLE = "intake"  # ticket.created, .status_changed, .resolved: the lifecycle
ROUTING = "routing"  # ticket.queued, ticket.assigned: whether a ticket is held or waits
# Where intake's word gives way to routing's: a ticket nobody set aside or finished.
ROUTED = frozenset({TicketStatus.new, TicketStatus.queued, TicketStatus.open})
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


def stored_time(moment: datetime) -> datetime:
    """`moment` as the store keeps it (UTC, whole milliseconds), so a fact taken twice is
    equal to the copy already kept."""
    moment = as_utc(moment)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


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
    # When the producer said so (None on rows from before it was kept).
    since: datetime | None = None


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
    # When the customer first solved it from a suggested article (self-service).
    self_served_at: datetime | None = None
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
    merged_into: str | None = None  # the ticket its thread went to, once merged
    # The lifecycle and the conversation, as sets of facts (see `reporting.domain.history`).
    last_solved_at: datetime | None = None
    closed_at: datetime | None = None
    transitions: list[Transition] = []
    messages: list[Message] = []
    transfers: list[Transfer] = []
    priorities: list[PriorityChange] = []
    consults: list[Consult] = []
    # Routing's offers, escalations and SLA clocks (see `reporting.domain.routing_facts`).
    offers: list[Offer] = []
    offer_ends: list[OfferEnd] = []
    escalations: list[Escalation] = []
    sla_marks: list[SlaMark] = []
    pages: int = 0  # pages notify sent supervisors about it (not customer notifications)

    @property
    def departments(self) -> frozenset[str]:
        """Who may see the row, as intake lets them read the ticket: the owning department,
        every department that held it or was handed it, and every department consulted on it."""
        held = {assignment.department for assignment in self.assignments}
        handed = {transfer.to_department for transfer in self.transfers}
        asked = {consult.department for consult in self.consults}
        return frozenset(d for d in (self.owner_department, *held, *handed, *asked) if d)

    @property
    def status(self) -> TicketStatus:
        """Intake's word once a ticket is set aside (pending, on hold) or done (solved,
        closed); while new or open, whether routing last said it is held or queued."""
        owner_says = self._lifecycle_status()
        if owner_says is not None and owner_says not in ROUTED:
            return owner_says
        routing = self.streams.get(ROUTING)
        if routing is not None:
            return routing.status
        return owner_says or TicketStatus.new

    @property
    def status_since(self) -> datetime | None:
        """Since when the ticket has been in `status`: since intake's word, or, while routing
        says where a new or open ticket stands, since the later of the two words."""
        words = [self.streams.get(LIFECYCLE)]
        if self._lifecycle_status() in (None, *ROUTED):
            words.append(self.streams.get(ROUTING))
        times = [_said_at(word) for word in words if word is not None]
        return max((as_utc(time) for time in times if time is not None), default=None)

    @property
    def is_done(self) -> bool:
        return not self.status.is_open

    @property
    def finished_at(self) -> datetime | None:
        """When a solved or closed ticket was last solved (None while it is worked on)."""
        if not self.is_done:
            return None
        return self.last_solved_at or self.resolved_at or self.closed_at

    @property
    def reopens(self) -> int:
        return sum(1 for transition in self.status_changes if transition.is_reopen)

    @cached_property
    def status_changes(self) -> list[Transition]:
        """Intake's status changes in its order, each once."""
        return history.in_order(_distinct(self.transitions, lambda t: (t.sequence, t.at, t.status)))

    @cached_property
    def time_in_status(self) -> dict[str, float]:
        """Seconds spent in each status, over the stretches that ended."""
        return history.total_seconds(history.status_periods(self.created_at, self.status_changes))

    @cached_property
    def handoffs(self) -> list[Transfer]:
        """The transfers in intake's order, each once."""
        return history.in_order(_distinct(self.transfers, lambda t: (t.sequence, t.at)))

    @cached_property
    def ownership(self) -> list[history.Period]:
        """Which department owned the ticket when, handoff by handoff."""
        handoffs = self.handoffs
        first = (
            self.owner_department
            or (handoffs[0].from_department if handoffs else None)
            or self._first_assigned_department()
        )
        return history.ownership_periods(first, self.created_at, handoffs, self.finished_at)

    @cached_property
    def owning_department(self) -> str | None:
        """The department that owns the ticket now: the last receiver of a handoff, else its
        category's, else the department of whoever holds or first held it."""
        handoffs = self.handoffs
        if handoffs:
            return handoffs[-1].to_department
        return self.owner_department or self.department or self._first_assigned_department()

    @cached_property
    def time_by_department(self) -> dict[str, float]:
        return history.total_seconds(self.ownership)

    @cached_property
    def thread(self) -> list[Message]:
        return _distinct(self.messages, lambda message: message.message_id)

    @cached_property
    def first_response(self) -> Message | None:
        """The first public reply by an agent."""
        return history.first_public_reply(self.thread)

    @property
    def current_priority(self) -> str | None:
        """The priority of intake's newest word about it, else the one it was created with."""
        changes = history.in_order(self.priorities)
        return changes[-1].priority if changes else self.priority

    @property
    def priority_changes(self) -> int:
        """How many times intake's word on the priority differed from the one before it."""
        said = [self.priority, *(change.priority for change in history.in_order(self.priorities))]
        known = [priority for priority in said if priority is not None]
        return sum(1 for before, after in pairwise(known) if before != after)

    @property
    def consulted(self) -> dict[str, set[str]]:
        """Each consult's id and the states it was seen in (`open`, `answered`)."""
        states: dict[str, set[str]] = {}
        for consult in self.consults:
            states.setdefault(consult.consult_id, set()).add(consult.status)
        return states

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
        if not self.is_done:
            return None
        lifecycle = self.streams.get(LIFECYCLE)
        named = lifecycle.resolved_by if lifecycle else self.resolved_by
        solves = [t for t in self.status_changes if t.status is TicketStatus.solved and t.agent_id]
        return named or (solves[-1].agent_id if solves else None) or self.agent_id

    def _lifecycle_status(self) -> TicketStatus | None:
        lifecycle = self.streams.get(LIFECYCLE)
        return lifecycle.status if lifecycle else self._legacy_status()

    def _first_assigned_department(self) -> str | None:
        if not self.assignments:
            return None
        return min(self.assignments, key=lambda a: (as_utc(a.assigned_at), a.agent_id)).department

    def _legacy_status(self) -> TicketStatus | None:
        if self.status_rank is None:
            return None
        return LEGACY_STATUS_ORDER[max(0, min(self.status_rank, len(LEGACY_STATUS_ORDER) - 1))]


def _said_at(stream: StreamState) -> datetime | None:
    if stream.since is None and stream.assignment is not None:
        return stream.assignment.assigned_at
    return stream.since


def _distinct(items: list[T], key: Callable[[T], Hashable]) -> list[T]:
    """One of each: a fact kept twice (by a store that lost precision) counts once."""
    kept: dict[Hashable, T] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())
