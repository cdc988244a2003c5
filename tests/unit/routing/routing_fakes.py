"""In-memory stand-ins for routing's repositories, keeping the same uniqueness guarantees."""

import copy
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from routing.domain import (
    Agent,
    Assignment,
    DepartmentSettings,
    QueueEntry,
    Resolution,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    TicketRecord,
)
from routing.domain.tickets import MOVED_UP
from routing.ports import ClaimResult, ReleaseEvents, Stores
from ticketflow_shared.events import Envelope, Position, Presence, Priority, TicketStatus
from ticketflow_shared.testing import FakeClock


@dataclass
class Published:
    """Every event the fakes would have put on the bus, in order."""

    envelopes: list[Envelope] = field(default_factory=list)

    def of_type(self, event_type: str) -> list[Envelope]:
        return [envelope for envelope in self.envelopes if envelope.type == event_type]


class FakeAgents:
    def __init__(self, published: Published) -> None:
        self.rows: dict[str, Agent] = {}
        self.published = published

    async def add(self, agent: Agent, events: list[Envelope], now: datetime) -> bool:
        if agent.agent_id in self.rows:
            return False
        self.rows[agent.agent_id] = copy.deepcopy(agent)
        self.published.envelopes.extend(events)
        return True

    async def get(self, agent_id: str) -> Agent | None:
        found = self.rows.get(agent_id)
        return copy.deepcopy(found) if found else None

    async def note_assigned(self, chosen: Agent, now: datetime) -> None:
        if agent := self.rows.get(chosen.agent_id):
            kept = tuple(at for at in agent.recent_assignments if at > now - timedelta(hours=1))
            agent.recent_assignments, agent.last_assigned_at = (*kept, now), now

    async def search(self, presence: Presence | None = None, skill: str | None = None) -> list:
        return [
            copy.deepcopy(agent)
            for _, agent in sorted(self.rows.items())
            if (presence is None or agent.presence is presence)
            and (skill is None or skill in agent.skills)
        ]

    async def save(
        self, agent: Agent, expected_version: int, events: list[Envelope], now: datetime
    ) -> bool:
        stored = self.rows.get(agent.agent_id)
        if stored is None or stored.version != expected_version:
            return False
        self.rows[agent.agent_id] = copy.deepcopy(agent)
        self.published.envelopes.extend(events)
        return True

    async def available_for(self, requirement: SkillRequirement) -> list[Agent]:
        return [
            copy.deepcopy(agent)
            for agent in self.rows.values()
            if agent.presence is Presence.available
            and agent.capacity > 0
            and agent.level(requirement.skill) >= requirement.min_level
        ]


@dataclass
class Held:
    """One claim as the fake stores it: the assignment and its events not yet published."""

    assignment: Assignment
    pending: list[Envelope]
    announced: bool = False
    releasing: bool = False  # the release's events are in `pending` already


class EventsNotPublished(RuntimeError):
    """Like the Mongo adapter's: the claim's events could not go out, so it is kept."""


class FakeAssignments:
    def __init__(self, published: Published) -> None:
        self.rows: dict[str, Held] = {}  # by ticket id
        self.published = published
        self.bus_down = False  # while True, releasing an announced claim cannot publish

    async def held_by(self, agent_ids: list[str]) -> dict[str, dict[int, str]]:
        held: dict[str, dict[int, str]] = {agent_id: {} for agent_id in agent_ids}
        for row in self.rows.values():
            if row.assignment.agent_id in held:
                held[row.assignment.agent_id][row.assignment.slot] = row.assignment.ticket_id
        return held

    async def claim(self, assignment: Assignment, events: list[Envelope]) -> ClaimResult:
        if assignment.ticket_id in self.rows:
            return ClaimResult.ticket_taken
        if any(
            (row.assignment.agent_id, row.assignment.slot) == (assignment.agent_id, assignment.slot)
            for row in self.rows.values()
        ):
            return ClaimResult.slot_taken
        self.rows[assignment.ticket_id] = Held(assignment, list(events))
        return ClaimResult.claimed

    async def announce(self, ticket_id: str, now: datetime) -> None:
        row = self.rows.get(ticket_id)
        if row is None:
            return
        row.announced = True
        self.published.envelopes.extend(row.pending)
        row.pending = []

    async def unannounced(self, claimed_before: datetime, limit: int) -> list[str]:
        return [
            ticket_id
            for ticket_id, row in self.rows.items()
            if not row.announced and row.assignment.assigned_at < claimed_before
        ][:limit]

    async def of_ticket(self, ticket_id: str) -> Assignment | None:
        row = self.rows.get(ticket_id)
        return row.assignment if row else None

    async def held_tickets(self) -> list[str]:
        return list(self.rows)

    async def release(
        self, ticket_id: str, events_for: ReleaseEvents, now: datetime
    ) -> Assignment | None:
        row = self.rows.get(ticket_id)
        if row is None:
            return None
        if not row.announced:
            del self.rows[ticket_id]
            return row.assignment
        if not row.releasing:
            row.releasing = True
            row.pending.extend(await events_for(row.assignment))
        if self.bus_down and row.pending:
            raise EventsNotPublished(ticket_id)
        self.published.envelopes.extend(row.pending)
        del self.rows[ticket_id]
        return row.assignment


class FakeTickets:
    def __init__(self) -> None:
        self.rows: dict[str, RoutingTicket] = {}
        self.received_at: dict[str, datetime] = {}
        self.routed: set[str] = set()
        self.versions: dict[str, int] = {}
        self.applied: dict[str, dict[str, int]] = {}  # ticket id -> producer -> sequence

    def _apply(self, ticket_id: str, position: Position | None) -> None:
        if position is not None:
            position.advance(self.applied.setdefault(ticket_id, {}))

    async def add(
        self, ticket: RoutingTicket, now: datetime, position: Position | None = None
    ) -> bool:
        if ticket.ticket_id in self.rows:
            return False
        self.rows[ticket.ticket_id] = ticket
        self.received_at[ticket.ticket_id] = now
        self._apply(ticket.ticket_id, position)
        return True

    async def get(self, ticket_id: str) -> RoutingTicket | None:
        return self.rows.get(ticket_id)

    async def record(self, ticket_id: str, producer: str) -> TicketRecord | None:
        ticket = self.rows.get(ticket_id)
        if ticket is None:
            return None
        applied = self.applied.get(ticket_id, {}).get(producer)
        return TicketRecord(ticket, ticket_id in self.routed, applied)

    async def is_routed(self, ticket_id: str) -> bool:
        return ticket_id in self.routed

    async def mark_routed(self, ticket_id: str, position: Position | None = None) -> None:
        self.routed.add(ticket_id)
        self._apply(ticket_id, position)

    async def advance(self, ticket_id: str, position: Position | None) -> None:
        self._apply(ticket_id, position)

    async def revise(self, ticket: RoutingTicket) -> None:
        self.rows[ticket.ticket_id] = ticket
        self.routed.discard(ticket.ticket_id)

    async def reprioritize(
        self, ticket_id: str, priority: Priority, position: Position | None
    ) -> None:
        self.rows[ticket_id] = replace(self.rows[ticket_id], priority=priority)
        self._apply(ticket_id, position)

    async def unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]:
        return [
            ticket
            for ticket_id, ticket in self.rows.items()
            if ticket_id not in self.routed and self.received_at[ticket_id] < received_before
        ][:limit]

    async def next_version(self, ticket_id: str) -> int | None:
        if ticket_id not in self.rows:
            return None
        self.versions[ticket_id] = self.versions.get(ticket_id, 0) + 1
        return self.versions[ticket_id]


class FakeQueue:
    def __init__(self, published: Published) -> None:
        self.rows: dict[str, QueueEntry] = {}
        self.held: dict[str, list[Envelope]] = {}  # events not announced yet
        self.published = published
        self.on_enqueued = None  # hook: runs right after an entry is inserted

    async def enqueue(
        self, ticket: RoutingTicket, events: list[Envelope], now: datetime, new: bool = False
    ) -> bool:
        if ticket.ticket_id in self.rows:
            return False
        self.rows[ticket.ticket_id] = QueueEntry(ticket, now)
        self.held[ticket.ticket_id] = list(events)
        if self.on_enqueued is not None:
            await self.on_enqueued(ticket)
        return True

    async def announce(
        self, ticket_id: str, now: datetime, held: list[Envelope] | None = None
    ) -> None:
        if ticket_id in self.rows and (held is None or self.held.get(ticket_id) == held):
            self.published.envelopes.extend(self.held.pop(ticket_id, []))

    async def get(self, ticket_id: str) -> QueueEntry | None:
        return self.rows.get(ticket_id)

    async def remove(self, ticket_id: str) -> bool:
        self.held.pop(ticket_id, None)
        return self.rows.pop(ticket_id, None) is not None

    def _in_service_order(self) -> list[QueueEntry]:
        return sorted(self.rows.values(), key=lambda entry: entry.ticket.queue_key)

    async def waiting(
        self,
        limit: int,
        skill: str | None = None,
        excluding: Collection[tuple[SkillRequirement, str | None]] = (),
    ) -> list[QueueEntry]:
        return [
            entry
            for entry in self._in_service_order()
            if (skill is None or entry.ticket.requirement.skill == skill)
            and entry.ticket.lane not in excluding
        ][:limit]

    async def size(self, skill: str | None = None) -> int:
        return len(await self.waiting(len(self._in_service_order()), skill))

    async def waiting_for(self, agent: Agent, limit: int) -> list[QueueEntry]:
        """Like the Mongo queue: tickets whose skill and level `agent` has, of its department
        or of none, presence aside."""
        return [
            entry
            for entry in self._in_service_order()
            if entry.ticket.requirement.skill in agent.skills
            and entry.ticket.requirement.min_level <= agent.skills[entry.ticket.requirement.skill]
            and entry.ticket.department in (None, agent.department)
        ][:limit]

    async def reprioritize(self, ticket_id: str, priority: Priority) -> bool:
        entry = self.rows.get(ticket_id)
        if entry is None:
            return False
        self.rows[ticket_id] = replace(entry, ticket=replace(entry.ticket, priority=priority))
        return True

    async def set_sla_due(self, ticket_id: str, due: datetime | None) -> None:
        entry = self.rows.get(ticket_id)
        if entry is not None and entry.ticket.due_rank != MOVED_UP:
            ticket = replace(entry.ticket, due_rank=due)
            self.rows[ticket_id] = replace(entry, ticket=ticket)

    async def move_up(self, ticket_id: str) -> bool:
        entry = self.rows.get(ticket_id)
        if entry is None:
            return False
        self.rows[ticket_id] = replace(entry, ticket=replace(entry.ticket, due_rank=MOVED_UP))
        return True

    async def set_requirement(self, category: str, requirement: SkillRequirement) -> int:
        changed = 0
        for ticket_id, entry in list(self.rows.items()):
            if entry.ticket.category == category:
                ticket = replace(entry.ticket, requirement=requirement)
                self.rows[ticket_id] = QueueEntry(ticket, entry.queued_at)
                changed += 1
        return changed


class FakeResolutions:
    def __init__(self, published: Published) -> None:
        self.rows: dict[str, Resolution] = {}
        self.published = published

    async def resolved_among(self, ticket_ids: list[str]) -> set[str]:
        return set(ticket_ids) & set(self.rows)

    async def record(self, resolution: Resolution, events: list[Envelope], now: datetime) -> bool:
        if resolution.ticket_id in self.rows:
            return False
        self.rows[resolution.ticket_id] = resolution
        self.published.envelopes.extend(events)
        return True

    async def restate(self, ticket_id: str, status: TicketStatus) -> None:
        self.rows[ticket_id] = replace(self.rows[ticket_id], status=status)

    async def remove(self, ticket_id: str) -> bool:
        return self.rows.pop(ticket_id, None) is not None

    async def get(self, ticket_id: str) -> Resolution | None:
        return self.rows.get(ticket_id)


class FakeDepartments:
    def __init__(self) -> None:
        self.rows: dict[str, DepartmentSettings] = {}

    async def get(self, name: str) -> DepartmentSettings | None:
        return self.rows.get(name)

    async def in_force(self, name: str) -> DepartmentSettings | None:
        return self.rows.get(name)

    async def put(self, settings: DepartmentSettings, now: datetime) -> None:
        self.rows[settings.name] = settings

    async def all(self) -> list[DepartmentSettings]:
        return [self.rows[name] for name in sorted(self.rows)]


class FakeRules:
    def __init__(self) -> None:
        self.rows: dict[str, RoutingRule] = {}

    async def get(self, category: str) -> RoutingRule | None:
        return self.rows.get(category)

    async def in_force(self, category: str) -> RoutingRule | None:
        return self.rows.get(category)

    async def put(self, rule: RoutingRule, now: datetime) -> None:
        self.rows[rule.category] = rule

    async def all(self) -> list[RoutingRule]:
        return [self.rows[key] for key in sorted(self.rows)]


def fake_stores() -> tuple[Stores, Published]:
    published = Published()
    stores = Stores(
        agents=FakeAgents(published),
        assignments=FakeAssignments(published),
        tickets=FakeTickets(),
        queue=FakeQueue(published),
        resolutions=FakeResolutions(published),
        rules=FakeRules(),
        departments=FakeDepartments(),
        # A second per reading: every timestamp distinct, so "before" and "after" are strict.
        clock=FakeClock(tick=timedelta(seconds=1)),
    )
    return stores, published
