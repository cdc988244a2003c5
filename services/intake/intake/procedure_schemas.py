"""HTTP shapes of a category's procedure (SOP) and of one ticket's progress through it."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from intake.domain.procedure import MAX_MACROS_PER_STEP, MAX_STEPS, ProcedureStep, StepState
from intake.domain.procedure import progress as progress_of

StepKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
MacroId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]
# One line of plain text: no control characters (C0, C1, DEL, U+2028, U+2029).
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$",
    ),
]


class ProcedureStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: StepKey
    label: Label
    required: bool = False
    macros: list[MacroId] = Field(default_factory=list, max_length=MAX_MACROS_PER_STEP)

    def to_step(self) -> ProcedureStep:
        return ProcedureStep(self.key, self.label, self.required, tuple(dict.fromkeys(self.macros)))


class ProcedureUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[ProcedureStepIn] = Field(max_length=MAX_STEPS)

    @field_validator("steps")
    @classmethod
    def _unique_keys(cls, steps: list[ProcedureStepIn]) -> list[ProcedureStepIn]:
        keys = [step.key for step in steps]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"step keys listed more than once: {', '.join(repeated)}")
        return steps

    def to_steps(self) -> tuple[ProcedureStep, ...]:
        return tuple(step.to_step() for step in self.steps)


class ProcedureStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    required: bool
    macros: list[str]


class CategoryProcedureRead(BaseModel):
    category: str
    steps: list[ProcedureStepRead]


class TicketStepRead(ProcedureStepRead):
    done: bool
    done_by: str | None = None
    done_at: datetime | None = None

    @classmethod
    def of(cls, state: StepState) -> "TicketStepRead":
        step = state.step
        return cls(
            key=step.key,
            label=step.label,
            required=step.required,
            macros=list(step.macros),
            done=state.done,
            done_by=state.done_by,
            done_at=state.done_at,
        )


class ProgressRead(BaseModel):
    done: int = 0
    total: int = 0
    required_left: int = 0


class ProcedureRead(ProgressRead):
    """The ticket's copy of its category's steps, taken when it was created, with who ticked
    each and when."""

    steps: list[TicketStepRead] = Field(default_factory=list)

    @classmethod
    def of(cls, states: list[StepState]) -> "ProcedureRead":
        counted = progress_of(states)
        return cls(
            steps=[TicketStepRead.of(state) for state in states],
            done=counted.done,
            total=counted.total,
            required_left=counted.required_left,
        )
