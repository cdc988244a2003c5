"""Agents: who can take which ticket, and how many at once."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from routing.domain.calendars import Calendar
from routing.domain.tickets import RoutingTicket, SkillRequirement
from ticketflow_shared.events import AgentUpdatedV1, Payload, Presence, TicketAssignedV1

PROFILE_FIELDS = ("name", "department", "skills", "capacity", "presence", "presence_reason")


class AgentCannotTake(ValueError):
    """The agent is not available, lacks the skill, or has no free slot."""


@dataclass(frozen=True)
class Assignment:
    """One ticket held by one agent in one of its capacity slots."""

    ticket_id: str
    agent_id: str
    slot: int
    skill: str
    skill_level: int
    assigned_at: datetime


@dataclass
class Agent:
    agent_id: str
    name: str
    department: str
    skills: dict[str, int]
    capacity: int
    presence: Presence
    presence_reason: str | None = None  # why the agent is in that presence, e.g. "missed offer"
    version: int = 0
    held: dict[int, str] = field(default_factory=dict)  # capacity slot -> ticket id
    languages: tuple[str, ...] = ()
    shift: Calendar | None = None  # None: always on shift
    last_assigned_at: datetime | None = None
    recent_assignments: tuple[datetime, ...] = ()  # when it got its new tickets lately
    events: list[Payload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(
        cls,
        agent_id: str,
        *,
        name: str,
        department: str,
        skills: Mapping[str, int],
        capacity: int,
        presence: Presence,
        now: datetime,
        presence_reason: str | None = None,
    ) -> "Agent":
        agent = cls(
            agent_id, name, department, dict(skills), capacity, Presence(presence), presence_reason
        )
        agent.events.append(agent.updated(now))
        return agent

    def profile(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in PROFILE_FIELDS}

    def revise(self, changes: Mapping[str, object], now: datetime) -> bool:
        """Apply profile changes, recording agent.updated.v1 if anything changed.

        Returns True when the agent may now take queued tickets it could not take before. A
        presence change without a reason clears the previous one.
        """
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"not agent profile fields: {sorted(unknown)}")
        before, old_capacity = self.profile(), self.capacity
        moved = "presence" in changes and Presence(changes["presence"]) is not self.presence
        if moved and "presence_reason" not in changes:
            changes = {**changes, "presence_reason": None}
        for name, value in changes.items():
            setattr(self, name, value)
        self.skills = dict(self.skills)
        self.presence = Presence(self.presence)
        if self.profile() == before:
            return False
        self.version += 1
        self.events.append(self.updated(now))
        return self.has_spare_capacity and (
            self.presence != before["presence"]
            or self.capacity > old_capacity
            or self.skills != before["skills"]
        )

    @property
    def active_tickets(self) -> list[str]:
        return [self.held[slot] for slot in sorted(self.held)]

    @property
    def active_count(self) -> int:
        return len(self.held)

    @property
    def free_slots(self) -> int:
        return max(self.capacity - self.active_count, 0)

    @property
    def load(self) -> float:
        return self.active_count / self.capacity if self.capacity else float("inf")

    @property
    def has_spare_capacity(self) -> bool:
        return self.presence is Presence.available and self.active_count < self.capacity

    def level(self, skill: str) -> int:
        return self.skills.get(skill, 0)

    def serves(self, department: str | None) -> bool:
        """Whether this agent works tickets of `department` (every agent those of none)."""
        return department is None or department == self.department

    def may_get(self, ticket: RoutingTicket) -> bool:
        """Whether routing may give `ticket` to this agent unasked (skills and room aside)."""
        return ticket.released_by != self.agent_id

    def can_take(self, requirement: SkillRequirement) -> bool:
        return self.has_spare_capacity and self.level(requirement.skill) >= requirement.min_level

    def free_slot(self) -> int | None:
        """Lowest free slot below capacity; racing claimers pick the same one and one loses."""
        if not self.has_spare_capacity:
            return None
        return next(slot for slot in range(self.capacity) if slot not in self.held)

    def assign(self, ticket: RoutingTicket, now: datetime) -> Assignment:
        """Take `ticket` into a free slot, recording ticket.assigned.v1 and the new load."""
        slot = self.free_slot()
        if slot is None or not self.can_take(ticket.requirement):
            raise AgentCannotTake(f"agent {self.agent_id} cannot take ticket {ticket.ticket_id}")
        skill = ticket.requirement.skill
        self.held[slot] = ticket.ticket_id
        self.events.append(
            TicketAssignedV1(
                ticket_id=ticket.ticket_id,
                agent_id=self.agent_id,
                agent_name=self.name,
                department=self.department,
                skill=skill,
                skill_level=self.level(skill),
                assigned_at=now,
            )
        )
        self.events.append(self.updated(now))
        return Assignment(ticket.ticket_id, self.agent_id, slot, skill, self.level(skill), now)

    def release(self, ticket_id: str, now: datetime) -> None:
        """Let go of `ticket_id`, recording agent.updated.v1 with the load left."""
        slots = [slot for slot, held in self.held.items() if held == ticket_id]
        if not slots:
            raise ValueError(f"agent {self.agent_id} does not hold ticket {ticket_id}")
        for slot in slots:
            del self.held[slot]
        self.events.append(self.updated(now))

    def updated(self, now: datetime) -> AgentUpdatedV1:
        return AgentUpdatedV1(
            agent_id=self.agent_id,
            name=self.name,
            department=self.department,
            skills=dict(self.skills),
            capacity=self.capacity,
            presence=self.presence,
            presence_reason=self.presence_reason,
            active_tickets=self.active_count,
            updated_at=now,
        )

    def assigned_since(self, since: datetime) -> int:
        """How many new tickets the agent got after `since` (for the fairness cap)."""
        return sum(at > since for at in self.recent_assignments)

    def pull_events(self) -> list[Payload]:
        events, self.events = self.events, []
        return events
