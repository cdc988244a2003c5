"""Queue policies as data: what a department's (or a category's) tickets need from an agent,
in which order candidates are ranked, and how those needs relax while a ticket waits."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from routing.domain.tickets import MAX_LEVEL, MIN_LEVEL, SkillRequirement
from ticketflow_shared.events import Priority

MAX_SKILLS, MAX_STEPS = 20, 10


class PolicyError(ValueError):
    """A queue policy that cannot be used; the message names what is wrong."""


class OrderKey(StrEnum):
    """What ranks eligible agents, first key first."""

    level = "level"  # highest level in the required skills first
    preferred = "preferred"  # most preferred skills met first
    load = "load"  # fewest active tickets first
    idle = "idle"  # longest since the last assignment first


DEFAULT_ORDER = (OrderKey.level, OrderKey.load, OrderKey.idle)


@dataclass(frozen=True)
class EscalationStep:
    """What changes once a ticket has waited `after_seconds`; a step may do several things."""

    after_seconds: int
    drop_preferred: bool = False
    lower_levels_by: int = 0
    overflow_to: str | None = None
    raise_priority: Priority | None = None
    page_supervisor: bool = False

    @property
    def publishes(self) -> bool:
        """Whether the step is announced as ticket.escalated.v1."""
        return bool(self.overflow_to or self.raise_priority or self.page_supervisor)

    def check(self) -> None:
        if self.after_seconds < 1:
            raise PolicyError("an escalation step's after_seconds must be at least 1")
        if not (0 <= self.lower_levels_by < MAX_LEVEL):
            raise PolicyError(f"lower_levels_by must be 0-{MAX_LEVEL - 1}")
        if not (self.drop_preferred or self.lower_levels_by or self.publishes):
            raise PolicyError(f"the step after {self.after_seconds} s changes nothing")


@dataclass(frozen=True)
class Needs:
    """A policy's requirements with the due escalation steps applied."""

    required: tuple[SkillRequirement, ...]
    preferred: tuple[SkillRequirement, ...]
    language: bool
    order: tuple[OrderKey, ...]
    fairness_cap: int | None
    steps: tuple[int, ...] = ()  # indexes of the steps applied
    overflow_to: str | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class QueuePolicy:
    department: str
    category: str | None = None
    required: tuple[SkillRequirement, ...] = ()
    preferred: tuple[SkillRequirement, ...] = ()
    language: bool = False
    order: tuple[OrderKey, ...] = DEFAULT_ORDER
    fairness_cap: int | None = None
    steps: tuple[EscalationStep, ...] = ()
    version: int = 0
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """The policy's id: `department` or `department/category`."""
        return self.department if self.category is None else f"{self.department}/{self.category}"

    @classmethod
    def fallback(cls, department: str | None, requirement: SkillRequirement) -> "QueuePolicy":
        """Today's behaviour without a policy: the category's rule as the only need."""
        return cls(department or "", required=(requirement,))

    def check(self) -> "QueuePolicy":
        """The policy itself, or PolicyError naming what is wrong."""
        if not self.required:
            raise PolicyError("a policy needs at least one required skill")
        for name, needs in (("required", self.required), ("preferred", self.preferred)):
            skills = [need.skill for need in needs]
            if len(needs) > MAX_SKILLS:
                raise PolicyError(f"at most {MAX_SKILLS} {name} skills")
            if len(set(skills)) != len(skills):
                raise PolicyError(f"{name} skills repeat: {skills}")
            for need in needs:
                if not (MIN_LEVEL <= need.min_level <= MAX_LEVEL):
                    raise PolicyError(f"{need.skill}: min_level must be {MIN_LEVEL}-{MAX_LEVEL}")
        both = {n.skill for n in self.required} & {n.skill for n in self.preferred}
        if both:
            raise PolicyError(f"skills both required and preferred: {sorted(both)}")
        if not self.order or len(set(self.order)) != len(self.order):
            raise PolicyError("order must list each key at most once, and at least one")
        if self.fairness_cap is not None and self.fairness_cap < 1:
            raise PolicyError("fairness_cap must be at least 1")
        if len(self.steps) > MAX_STEPS:
            raise PolicyError(f"at most {MAX_STEPS} escalation steps")
        waits = [step.after_seconds for step in self.steps]
        if waits != sorted(set(waits)):
            raise PolicyError("escalation steps must come in order of after_seconds, each once")
        for step in self.steps:
            step.check()
            if step.overflow_to == self.department:
                raise PolicyError("a step cannot overflow to the policy's own department")
        return self

    def due_steps(self, waited: timedelta) -> list[int]:
        """Indexes of the steps due after waiting `waited`."""
        seconds = waited.total_seconds()
        return [i for i, step in enumerate(self.steps) if step.after_seconds <= seconds]

    def needs(self, waited: timedelta) -> Needs:
        """The requirements after `waited` in the queue, escalation steps applied."""
        return self.needs_after(self.due_steps(waited))

    def needs_after(self, applied: list[int]) -> Needs:
        """The requirements with the steps at `applied` (indexes) in effect."""
        needs = Needs(self.required, self.preferred, self.language, self.order, self.fairness_cap)
        lowered = 0
        for index in sorted(set(applied)):
            step = self.steps[index]
            lowered += step.lower_levels_by
            if step.drop_preferred:
                needs = replace(needs, preferred=())
            if step.overflow_to:
                needs = replace(needs, overflow_to=step.overflow_to)
            if step.raise_priority:
                needs = replace(needs, priority=step.raise_priority)
        required = tuple(
            SkillRequirement(n.skill, max(MIN_LEVEL, n.min_level - lowered)) for n in needs.required
        )
        return replace(needs, required=required, steps=tuple(sorted(set(applied))))
