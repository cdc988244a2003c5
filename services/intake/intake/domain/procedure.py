"""A category's procedure (SOP): ordered steps an agent ticks while working a ticket (pure).

A ticket takes a copy of its category's steps when it is created: what was required when the
work began stays what is checked when it is solved, however the procedure is edited meanwhile,
and reading a ticket needs no second lookup.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from intake.domain.errors import UndoneSteps, UnknownStep

MAX_STEPS = 30
MAX_MACROS_PER_STEP = 10


@dataclass(frozen=True)
class ProcedureStep:
    """One step as the category defines it; `macros` are the ids of macros that help with it."""

    key: str
    label: str
    required: bool = False
    macros: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepState:
    """A step on one ticket: the category's step, and who ticked it when (None: not done)."""

    step: ProcedureStep
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    required_left: int


def snapshot(steps: tuple[ProcedureStep, ...]) -> list[StepState]:
    return [StepState(step) for step in steps]


def tick(ticket_id: str, steps: list[StepState], key: str, actor: str, now: datetime) -> bool:
    """Mark the step done by `actor`; False if it was done already (who ticked it first stays)."""
    at = _index(ticket_id, steps, key)
    if steps[at].done:
        return False
    steps[at] = replace(steps[at], done_by=actor, done_at=now)
    return True


def untick(ticket_id: str, steps: list[StepState], key: str) -> bool:
    """Mark the step not done; False if it was not done."""
    at = _index(ticket_id, steps, key)
    if not steps[at].done:
        return False
    steps[at] = replace(steps[at], done_by=None, done_at=None)
    return True


def undone_required(steps: list[StepState]) -> list[str]:
    return [state.step.key for state in steps if state.step.required and not state.done]


def require_done(ticket_id: str, steps: list[StepState]) -> None:
    undone = undone_required(steps)
    if undone:
        raise UndoneSteps(ticket_id, undone)


def progress(steps: list[StepState]) -> Progress:
    return Progress(
        done=sum(state.done for state in steps),
        total=len(steps),
        required_left=len(undone_required(steps)),
    )


def _index(ticket_id: str, steps: list[StepState], key: str) -> int:
    for at, state in enumerate(steps):
        if state.step.key == key:
            return at
    raise UnknownStep(ticket_id, key)
