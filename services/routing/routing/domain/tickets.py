"""Tickets as routing sees them: what skill they need and where they stand in the queue."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ticketflow_shared.events import Priority, TicketQueuedV1, TicketStatus

MIN_LEVEL, MAX_LEVEL = 1, 10
MOVED_UP = datetime(1970, 1, 1, tzinfo=UTC)  # a queued ticket's rank when moved to the front
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # a queued ticket's rank without an SLA due time


def skill_name(text: str) -> str:
    """A category or skill as a skill key: lower-case and safe as a document field name."""
    name = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")
    return name[:64]


def category_key(category: str) -> str:
    return category.strip().lower()


@dataclass(frozen=True)
class SkillRequirement:
    skill: str
    min_level: int = MIN_LEVEL


@dataclass(frozen=True)
class RoutingRule:
    """Which skill, at which level, a ticket category needs; data, changeable through the API."""

    category: str
    skill: str
    min_level: int = MIN_LEVEL
    is_default: bool = False

    @classmethod
    def default(cls, category: str) -> "RoutingRule":
        key = category_key(category)
        return cls(category=key, skill=skill_name(key) or "general", is_default=True)

    @property
    def requirement(self) -> SkillRequirement:
        return SkillRequirement(self.skill, self.min_level)


@dataclass(frozen=True)
class RoutingTicket:
    ticket_id: str
    category: str
    priority: Priority
    created_at: datetime
    requirement: SkillRequirement
    # The department that owns the ticket and who opened it, for who may see it here.
    department: str | None = None
    created_by: str | None = None
    # Transferred tickets go to agents of their department only.
    department_only: bool = False
    # The agent who put it back in the queue by hand: not given it again automatically.
    released_by: str | None = None
    # The customer's language, for policies that match it to agents' languages.
    language: str | None = None
    # Read from the queue only: its SLA due time (MOVED_UP when moved to the front).
    due_rank: datetime | None = field(default=None, compare=False)

    @property
    def lane(self) -> tuple[SkillRequirement, str | None]:
        """Which waiting tickets one agent can take as well as this one: same need, same
        department."""
        return (self.requirement, self.department)

    @property
    def queue_key(self) -> tuple[int, datetime, datetime, str]:
        """Service order: most urgent first, then the earliest SLA due time (none last), then
        oldest first; the id only breaks exact ties."""
        return (self.priority.rank, self.due_rank or NO_DUE, self.created_at, self.ticket_id)

    def queued(self, now: datetime) -> TicketQueuedV1:
        return TicketQueuedV1(
            ticket_id=self.ticket_id,
            required_skill=self.requirement.skill,
            priority=self.priority,
            queued_at=now,
        )


@dataclass(frozen=True)
class QueueEntry:
    ticket: RoutingTicket
    queued_at: datetime


@dataclass(frozen=True)
class TicketRecord:
    """Routing's record of a ticket, with the highest intake event applied to it."""

    ticket: RoutingTicket
    routed: bool
    applied: int | None = None


@dataclass(frozen=True)
class Resolution:
    """A ticket that wants no agent now: solved, closed, or waiting with its slot released.
    `agent_id` is the agent who held it last."""

    ticket_id: str
    agent_id: str | None
    resolved_at: datetime
    status: TicketStatus = TicketStatus.solved


@dataclass(frozen=True)
class TicketState:
    """Where a ticket stands in routing: new, queued, held by an agent, or resolved."""

    ticket: RoutingTicket
    status: TicketStatus
    required_skill: str
    min_level: int
    agent_id: str | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
