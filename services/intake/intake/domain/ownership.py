"""Who owned a ticket when: a chain of periods, each a department and, once routing gives it
to someone, an agent; the time each department and agent held it; who follows it since."""

from dataclasses import dataclass, field, replace
from datetime import datetime


@dataclass(frozen=True)
class OwnershipPeriod:
    """One stretch of ownership. `handed_from` is the department that transferred it here
    (with `note`), `handed_to` the one it was transferred to when the period ended."""

    department: str | None
    started_at: datetime
    agent_id: str | None = None
    ended_at: datetime | None = None
    handed_from: str | None = None
    handed_to: str | None = None
    note: str | None = None

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else 0.0


@dataclass
class Ownership:
    periods: list[OwnershipPeriod] = field(default_factory=list)
    department_seconds: dict[str, float] = field(default_factory=dict)
    agent_seconds: dict[str, float] = field(default_factory=dict)
    followers: list[str] = field(default_factory=list)

    @property
    def current(self) -> OwnershipPeriod | None:
        last = self.periods[-1] if self.periods else None
        return last if last and last.ended_at is None else None

    @property
    def departments(self) -> frozenset[str]:
        """Every department that owned the ticket at some point."""
        return frozenset(p.department for p in self.periods if p.department)

    @property
    def ended_count(self) -> int:
        return sum(1 for p in self.periods if p.ended_at is not None)

    def ended_after(self, count: int) -> list[OwnershipPeriod]:
        """Periods ended since `ended_count` was `count`: only the last one is ever open, so
        the ended ones are always the chain's first."""
        return [p for p in self.periods if p.ended_at is not None][count:]

    def follow(
        self,
        *,
        department: str | None,
        agent_id: str | None,
        owned: bool,
        since: datetime,
        now: datetime,
    ) -> None:
        """Bring the chain in line with the ticket: no open period unless `owned`, and the open
        one held by (`department`, `agent_id`). The chain starts at `since` (the ticket's
        creation), with the department alone: a ticket from before the chain was kept did not
        record when its agents took it."""
        if not self.periods:
            self.periods.append(OwnershipPeriod(department, since))
        current = self.current
        holder = (department, agent_id)
        if current and (not owned or (current.department, current.agent_id) != holder):
            self.end(now)
            current = None
        if owned and current is None:
            self.periods.append(OwnershipPeriod(department, now, agent_id))

    def hand_over(self, *, to_department: str, note: str, now: datetime) -> None:
        """A transfer: the current period ends handed to `to_department`, whose starts now."""
        current = self.current
        if current is not None:
            self.end(now, handed_to=to_department)
        from_department = current.department if current else None
        self.periods.append(
            OwnershipPeriod(to_department, now, handed_from=from_department, note=note)
        )

    def end(self, now: datetime, handed_to: str | None = None) -> None:
        current = self.current
        if current is None:
            return
        ended = replace(current, ended_at=max(now, current.started_at), handed_to=handed_to)
        self.periods[-1] = ended
        if ended.department:
            _add(self.department_seconds, ended.department, ended.seconds)
        if ended.agent_id:
            _add(self.agent_seconds, ended.agent_id, ended.seconds)
            if ended.agent_id not in self.followers:
                self.followers.append(ended.agent_id)


def _add(totals: dict[str, float], name: str, seconds: float) -> None:
    totals[name] = round(totals.get(name, 0.0) + seconds, 3)
