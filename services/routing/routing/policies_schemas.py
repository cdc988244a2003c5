"""HTTP shapes of queue policies."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routing.domain import SkillRequirement
from routing.domain.policies import (
    DEFAULT_ORDER,
    MAX_SKILLS,
    MAX_STEPS,
    EscalationStep,
    OrderKey,
    PolicyError,
    QueuePolicy,
)
from routing.schemas import Department, Level, _skills
from ticketflow_shared.events import Priority

MAX_WAIT_SECONDS = 30 * 24 * 3600
Skills = Annotated[dict[str, Level], Field(max_length=MAX_SKILLS, description="skill -> level")]


class StepBody(BaseModel):
    """After `after_seconds` of waiting: any of the changes below."""

    model_config = ConfigDict(extra="forbid")

    after_seconds: Annotated[int, Field(ge=1, le=MAX_WAIT_SECONDS)]
    drop_preferred: bool = False
    lower_levels_by: Annotated[int, Field(ge=0, le=9)] = 0
    overflow_to: Department | None = None
    raise_priority: Priority | None = None
    page_supervisor: bool = False

    def step(self) -> EscalationStep:
        return EscalationStep(**self.model_dump())


class PolicyPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: Annotated[Skills, Field(min_length=1)]
    preferred: Skills = Field(default_factory=dict)
    language: bool = Field(False, description="Agents must speak the ticket's language")
    order: Annotated[list[OrderKey], Field(min_length=1, max_length=len(OrderKey))] = list(
        DEFAULT_ORDER
    )
    fairness_cap: Annotated[int | None, Field(ge=1, le=1000)] = Field(
        None, description="New tickets per agent per rolling hour while another is idle"
    )
    steps: Annotated[list[StepBody], Field(max_length=MAX_STEPS)] = Field(default_factory=list)

    @field_validator("required", "preferred")
    @classmethod
    def _normal_skills(cls, value: dict[str, int]) -> dict[str, int]:
        return _skills(value)

    @model_validator(mode="after")
    def _usable(self) -> "PolicyPut":
        try:
            self.policy("-", None).check()
        except PolicyError as error:
            raise ValueError(str(error)) from None
        return self

    def policy(self, department: str, category: str | None) -> QueuePolicy:
        return QueuePolicy(
            department=department,
            category=category,
            required=tuple(SkillRequirement(s, lvl) for s, lvl in self.required.items()),
            preferred=tuple(SkillRequirement(s, lvl) for s, lvl in self.preferred.items()),
            language=self.language,
            order=tuple(self.order),
            fairness_cap=self.fairness_cap,
            steps=tuple(step.step() for step in self.steps),
        )


class PolicyRead(PolicyPut):
    model_config = ConfigDict(extra="ignore")

    department: str
    category: str | None
    version: int

    @classmethod
    def of(cls, policy: QueuePolicy) -> "PolicyRead":
        return cls.model_construct(
            department=policy.department,
            category=policy.category,
            version=policy.version,
            required={n.skill: n.min_level for n in policy.required},
            preferred={n.skill: n.min_level for n in policy.preferred},
            language=policy.language,
            order=list(policy.order),
            fairness_cap=policy.fairness_cap,
            steps=[StepBody.model_construct(**step.__dict__) for step in policy.steps],
        )


class PolicyList(BaseModel):
    data: list[PolicyRead]
    count: int
