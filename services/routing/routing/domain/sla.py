"""SLA policies as data and one clock per ticket, target and cycle.

A clock measures business time on its policy's calendar: it runs, pauses (the time used is
kept and the due time recomputed on resume), is met, or stops. It records the warning and
breach it owes as events; the handler stores them and the timers fire them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from routing.domain.calendars import Calendar
from ticketflow_shared.events import (
    Priority,
    SlaBreachedV1,
    SlaTarget,
    SlaWarningV1,
    TicketStatus,
)

DEFAULT_WARN_AT = 0.75
DEFAULT_PAUSE_ON = frozenset({TicketStatus.pending})


class BreachAction(StrEnum):
    raise_priority = "raise_priority"
    move_up = "move_up"
    page_supervisor = "page_supervisor"
    reassign = "reassign"


class ClockState(StrEnum):
    running = "running"
    paused = "paused"
    met = "met"
    stopped = "stopped"


@dataclass(frozen=True)
class SlaPolicy:
    """Targets in business seconds per priority; the criteria left None match anything."""

    name: str
    targets: Mapping[Priority, Mapping[SlaTarget, float]]
    calendar: Calendar = field(default_factory=Calendar.always_open)
    version: int = 1
    rank: int = 0
    category: str | None = None
    department: str | None = None
    customer_tier: str | None = None
    pause_on: frozenset[TicketStatus] = DEFAULT_PAUSE_ON
    warn_at: float = DEFAULT_WARN_AT
    on_breach: tuple[BreachAction, ...] = ()
    raise_to: Priority | None = None

    @property
    def specificity(self) -> int:
        return sum(c is not None for c in (self.category, self.department, self.customer_tier))

    def matches(
        self, priority: Priority, category: str | None, department: str | None, tier: str | None
    ) -> bool:
        wanted = ((self.category, category), (self.department, department))
        return (
            priority in self.targets
            and all(mine is None or mine == theirs for mine, theirs in wanted)
            and (self.customer_tier is None or self.customer_tier == tier)
        )

    def target(self, priority: Priority, target: SlaTarget) -> float | None:
        return self.targets.get(priority, {}).get(target)

    def raised(self, priority: Priority) -> Priority:
        """The priority a breach raises `priority` to: `raise_to`, else one step up."""
        if self.raise_to is not None:
            return self.raise_to if self.raise_to.rank < priority.rank else priority
        return list(Priority)[max(priority.rank - 1, 0)]


def select_policy(
    policies: Iterable[SlaPolicy],
    priority: Priority,
    category: str | None = None,
    department: str | None = None,
    tier: str | None = None,
) -> SlaPolicy | None:
    """The most specific matching policy; then the lowest `rank`; then the name."""
    matching = [p for p in policies if p.matches(priority, category, department, tier)]
    if not matching:
        return None
    return min(matching, key=lambda p: (-p.specificity, p.rank, p.name))


@dataclass
class SlaClock:
    """One target's clock. `used` is business time spent before the current run, which
    began at `run_from`; `due_at` is when the target is missed if nothing stops it."""

    ticket_id: str
    target: SlaTarget
    cycle: int
    policy: str
    policy_version: int
    priority: Priority
    target_seconds: float
    started_at: datetime
    warn_share: float = DEFAULT_WARN_AT
    state: ClockState = ClockState.running
    used: float = 0.0
    run_from: datetime | None = None
    due_at: datetime | None = None
    warn_due_at: datetime | None = None
    warned: bool = False
    breached: bool = False
    finished_at: datetime | None = None
    department: str | None = None
    agent_id: str | None = None
    events: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def start(
        cls,
        ticket_id: str,
        target: SlaTarget,
        policy: SlaPolicy,
        priority: Priority,
        at: datetime,
        *,
        cycle: int = 0,
        department: str | None = None,
        agent_id: str | None = None,
    ) -> "SlaClock | None":
        """A running clock, or None when the policy sets no such target for `priority`."""
        seconds = policy.target(priority, target)
        if seconds is None:
            return None
        clock = cls(
            ticket_id=ticket_id,
            target=target,
            cycle=cycle,
            policy=policy.name,
            policy_version=policy.version,
            priority=priority,
            target_seconds=float(seconds),
            started_at=at,
            warn_share=policy.warn_at,
            run_from=at,
            department=department,
            agent_id=agent_id,
        )
        clock._schedule(policy.calendar)
        return clock

    @property
    def key(self) -> str:
        return f"{self.ticket_id}:{self.target.value}:{self.cycle}"

    @property
    def open(self) -> bool:
        return self.state in (ClockState.running, ClockState.paused)

    def used_at(self, calendar: Calendar, at: datetime) -> float:
        """Business seconds used by `at` (pauses not counted)."""
        if self.state is ClockState.running and self.run_from is not None:
            return self.used + calendar.between(self.run_from, at)
        return self.used

    def left(self, calendar: Calendar, at: datetime) -> float:
        return self.target_seconds - self.used_at(calendar, at)

    def pause(self, calendar: Calendar, at: datetime) -> None:
        if self.state is not ClockState.running:
            return
        self.used = self.used_at(calendar, at)
        self.state, self.run_from, self.due_at, self.warn_due_at = (
            ClockState.paused,
            None,
            None,
            None,
        )

    def resume(self, calendar: Calendar, at: datetime) -> None:
        if self.state is not ClockState.paused:
            return
        self.state, self.run_from = ClockState.running, at
        self._schedule(calendar)

    def meet(self, calendar: Calendar, at: datetime) -> None:
        if not self.open:
            return
        self.used = self.used_at(calendar, at)
        self._finish(ClockState.met, at)

    def stop(self, calendar: Calendar, at: datetime) -> None:
        if not self.open:
            return
        self.used = self.used_at(calendar, at)
        self._finish(ClockState.stopped, at)

    def restart(self, calendar: Calendar, at: datetime) -> None:
        """Run again from `at` with the time already used (a reopened ticket's resolution)."""
        if self.open:
            return
        self.state, self.run_from, self.finished_at = ClockState.running, at, None
        self._schedule(calendar)

    def retarget(
        self, calendar: Calendar, priority: Priority, seconds: float, at: datetime
    ) -> None:
        """A new priority's target, keeping the time used so far."""
        if not self.open:
            return
        if self.state is ClockState.running:
            self.used, self.run_from = self.used_at(calendar, at), at
        self.priority, self.target_seconds = priority, float(seconds)
        if self.state is ClockState.running:
            self._schedule(calendar)

    def warn(self, at: datetime) -> bool:
        """Record the warning if it is owed now; False when it is not."""
        if self.state is not ClockState.running or self.warned or self.warn_due_at is None:
            return False
        if at < self.warn_due_at:
            return False
        self.warned = True
        self.events.append(SlaWarningV1(share=self.warn_share, **self._event_fields(at)))
        return True

    def breach(self, at: datetime) -> bool:
        """Record the breach if it is owed now; False when it is not."""
        if self.state is not ClockState.running or self.breached or self.due_at is None:
            return False
        if at < self.due_at:
            return False
        self.breached = True
        self.events.append(SlaBreachedV1(**self._event_fields(at)))
        return True

    def _schedule(self, calendar: Calendar) -> None:
        assert self.run_from is not None
        left = max(self.target_seconds - self.used, 0.0)
        self.due_at = calendar.add(self.run_from, left)
        warn_left = self.target_seconds * self.warn_share - self.used
        self.warn_due_at = None if self.warned else calendar.add(self.run_from, max(warn_left, 0))

    def _finish(self, state: ClockState, at: datetime) -> None:
        self.state, self.finished_at = state, at
        self.run_from, self.due_at, self.warn_due_at = None, None, None

    def _event_fields(self, at: datetime) -> dict:
        assert self.due_at is not None
        return {
            "ticket_id": self.ticket_id,
            "target": self.target,
            "cycle": self.cycle,
            "policy": self.policy,
            "policy_version": self.policy_version,
            "priority": self.priority,
            "department": self.department,
            "agent_id": self.agent_id,
            "target_seconds": self.target_seconds,
            "due_at": self.due_at,
            "at": at,
        }
