"""HTTP shapes: what the API accepts and returns."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from routing.domain import (
    Agent,
    DepartmentSettings,
    QueueEntry,
    RegisterAgent,
    ReviseAgent,
    RoutingRule,
    SetRule,
    TicketState,
    TicketStatus,
    skill_name,
)
from routing.domain.tickets import MAX_LEVEL, MIN_LEVEL
from routing.offers_schemas import OfferSettingsBody
from ticketflow_shared.events import Presence, Priority

AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$"
AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]
Level = Annotated[int, Field(ge=MIN_LEVEL, le=MAX_LEVEL)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Capacity = Annotated[int, Field(ge=0, le=100, description="Tickets the agent works at once")]


def _skill(raw: str) -> str:
    """A skill name as routing matches it: lower-case, `_` for anything but a-z, 0-9, - and _."""
    name = skill_name(raw)
    if not name:
        raise ValueError(f"skill name {raw!r} needs a letter or digit")
    return name


def _skill_filter(raw: str | None) -> str | None:
    return None if raw is None else _skill(raw)


SkillQuery = Annotated[str | None, AfterValidator(_skill_filter)]
"""A `?skill=` filter, matched as skill names are stored; 422 if nothing of it is left."""


def _skills(value: dict[str, int]) -> dict[str, int]:
    skills: dict[str, int] = {}
    for raw, level in value.items():
        name = _skill(raw)
        if name in skills:
            raise ValueError(f"skill {raw!r} is the same as another one ({name!r})")
        skills[name] = level
    return skills


PresenceReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class AgentProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    department: Department = "general"
    skills: dict[str, Level] = Field(default_factory=dict, description="skill -> level 1-10")
    capacity: Capacity = 1
    presence: Presence = Presence.available
    presence_reason: PresenceReason | None = None

    @field_validator("skills")
    @classmethod
    def _normal_skills(cls, value: dict[str, int]) -> dict[str, int]:
        return _skills(value)

    def command(self) -> RegisterAgent:
        return RegisterAgent.model_validate(self.model_dump())


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
    presence_reason: PresenceReason | None = Field(
        default=None,
        description="Why, e.g. 'lunch'; null clears it; a new presence sent "
        "without one clears the old reason",
    )

    @field_validator("skills")
    @classmethod
    def _normal_skills(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        return None if value is None else _skills(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = [
            name
            for name in self.model_fields_set - {"presence_reason"}
            if getattr(self, name) is None
        ]
        if nulls:
            raise ValueError(f"fields cannot be null: {', '.join(sorted(nulls))}")
        return self

    def command(self, agent_id: str) -> ReviseAgent:
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        return ReviseAgent(agent_id=agent_id, changes=changes)


class AgentRead(BaseModel):
    agent_id: str
    name: str
    department: str
    skills: dict[str, int]
    capacity: int
    presence: Presence
    presence_reason: str | None
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
        return None if value is None else _skill(value)

    def command(self, category: str) -> SetRule:
        return SetRule(category=category, skill=self.skill, min_level=self.min_level)


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


class DepartmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release_capacity_on: list[Literal["pending", "on_hold"]] = Field(
        default_factory=list,
        description="Waiting statuses that free the agent's slot (by default none does)",
    )
    offer: OfferSettingsBody = Field(default_factory=OfferSettingsBody)

    def settings(self, name: str) -> DepartmentSettings:
        statuses = {TicketStatus(s) for s in self.release_capacity_on}
        return DepartmentSettings.of(name, statuses, self.offer.settings())


class DepartmentRead(BaseModel):
    name: str
    release_capacity_on: list[TicketStatus]
    is_default: bool
    offer: OfferSettingsBody

    @classmethod
    def of(cls, settings: DepartmentSettings) -> "DepartmentRead":
        return cls(
            name=settings.name,
            release_capacity_on=sorted(settings.release_capacity_on),
            is_default=settings.is_default,
            offer=OfferSettingsBody.of(settings.offer),
        )


class DepartmentList(BaseModel):
    data: list[DepartmentRead]
    count: int


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: AgentId


class QueuedTicketRead(BaseModel):
    ticket_id: str
    category: str
    department: str | None = None
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
            department=ticket.department,
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
    department: str | None = None
    priority: Priority
    required_skill: str
    min_level: int
    status: TicketStatus
    agent_id: str | None = None
    created_at: datetime
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, state: TicketState) -> "TicketRead":
        ticket = state.ticket
        return cls(
            ticket_id=ticket.ticket_id,
            category=ticket.category,
            department=ticket.department,
            priority=ticket.priority,
            required_skill=state.required_skill,
            min_level=state.min_level,
            status=state.status,
            agent_id=state.agent_id,
            created_at=ticket.created_at,
            queued_at=state.queued_at,
            assigned_at=state.assigned_at,
            resolved_at=state.resolved_at,
        )
