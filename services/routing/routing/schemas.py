"""HTTP shapes: what the API accepts and returns."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from routing.domain import Agent, QueueEntry, RoutingRule, TicketStatus, skill_name
from routing.domain.tickets import MAX_LEVEL, MIN_LEVEL
from ticketflow_shared.events import Presence, Priority

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$"
AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]
Level = Annotated[int, Field(ge=MIN_LEVEL, le=MAX_LEVEL)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Capacity = Annotated[int, Field(ge=0, le=100, description="Tickets the agent works at once")]


def _skills(value: dict[str, int]) -> dict[str, int]:
    """Skill names as routing matches them: lower-case, `_` for anything but a-z, 0-9, - and _."""
    skills: dict[str, int] = {}
    for raw, level in value.items():
        name = skill_name(raw)
        if not name:
            raise ValueError(f"skill name {raw!r} needs a letter or digit")
        if name in skills:
            raise ValueError(f"skill {raw!r} is the same as another one ({name!r})")
        skills[name] = level
    return skills


class AgentProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    department: Department = "general"
    skills: dict[str, Level] = Field(default_factory=dict, description="skill -> level 1-10")
    capacity: Capacity = 1
    presence: Presence = Presence.available

    @field_validator("skills")
    @classmethod
    def _normal_skills(cls, value: dict[str, int]) -> dict[str, int]:
        return _skills(value)


class AgentCreate(AgentProfile):
    agent_id: AgentId | None = Field(default=None, description="Generated when left out")


class AgentPut(AgentProfile):
    agent_id: AgentId | None = Field(default=None, description="If sent, must match the path")


class AgentUpdate(BaseModel):
    """Only the fields sent change; `skills` replaces the whole set."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    department: Department | None = None
    skills: dict[str, Level] | None = None
    capacity: Capacity | None = None
    presence: Presence | None = None

    @field_validator("skills")
    @classmethod
    def _normal_skills(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        return None if value is None else _skills(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"fields cannot be null: {', '.join(sorted(nulls))}")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class AgentRead(BaseModel):
    agent_id: str
    name: str
    department: str
    skills: dict[str, int]
    capacity: int
    presence: Presence
    active_tickets: list[str]
    free_slots: int
    version: int

    @classmethod
    def of(cls, agent: Agent) -> "AgentRead":
        return cls(
            **agent.profile(),
            agent_id=agent.agent_id,
            active_tickets=agent.active_tickets,
            free_slots=agent.free_slots,
            version=agent.version,
        )


class AgentList(BaseModel):
    data: list[AgentRead]
    count: int


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill: str | None = Field(default=None, description="Defaults to the category's own name")
    min_level: Level = MIN_LEVEL

    @field_validator("skill")
    @classmethod
    def _normal_skill(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = skill_name(value)
        if not name:
            raise ValueError(f"skill name {value!r} needs a letter or digit")
        return name


class RuleRead(BaseModel):
    category: str
    skill: str
    min_level: int
    is_default: bool

    @classmethod
    def of(cls, rule: RoutingRule) -> "RuleRead":
        return cls(
            category=rule.category,
            skill=rule.skill,
            min_level=rule.min_level,
            is_default=rule.is_default,
        )


class RuleList(BaseModel):
    data: list[RuleRead]
    count: int


class QueuedTicketRead(BaseModel):
    ticket_id: str
    category: str
    priority: Priority
    required_skill: str
    min_level: int
    created_at: datetime
    queued_at: datetime

    @classmethod
    def of(cls, entry: QueueEntry) -> "QueuedTicketRead":
        ticket = entry.ticket
        return cls(
            ticket_id=ticket.ticket_id,
            category=ticket.category,
            priority=ticket.priority,
            required_skill=ticket.requirement.skill,
            min_level=ticket.requirement.min_level,
            created_at=ticket.created_at,
            queued_at=entry.queued_at,
        )


class QueueRead(BaseModel):
    data: list[QueuedTicketRead]
    count: int


class TicketRead(BaseModel):
    ticket_id: str
    category: str
    priority: Priority
    required_skill: str
    min_level: int
    status: TicketStatus
    agent_id: str | None = None
    created_at: datetime
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
