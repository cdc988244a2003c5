"""HTTP shapes of SLA policies and of a ticket's SLA clocks."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from routing.domain.calendars import Calendar
from routing.domain.sla import (
    DEFAULT_WARN_AT,
    BreachAction,
    ClockState,
    SlaClock,
    SlaPolicy,
)
from ticketflow_shared.events import Priority, SlaTarget, TicketStatus

POLICY_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
YEAR = 366 * 24 * 3600
Seconds = Annotated[float, Field(gt=0, le=YEAR)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Hours = Annotated[str, StringConstraints(min_length=11, max_length=11)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetSeconds(Strict):
    first_response: Seconds | None = None
    next_response: Seconds | None = None
    resolution: Seconds | None = None

    def mapping(self) -> dict[SlaTarget, float]:
        return {SlaTarget(k): v for k, v in self.model_dump().items() if v is not None}


class CalendarBody(Strict):
    """`24/7`, or business hours: weekly hours in a zone, a country's holidays, closed dates."""

    mode: Literal["24/7", "business_hours"] = "24/7"
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    hours: dict[Day, Annotated[list[Hours], Field(max_length=4)]] = Field(default_factory=dict)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    subdivision: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,6}$")] | None = None
    closed_dates: list[date] = Field(default_factory=list, max_length=366)

    @model_validator(mode="after")
    def _usable(self) -> "CalendarBody":
        self.calendar()  # a CalendarError is a ValueError: a 422 naming what is wrong
        return self

    def calendar(self) -> Calendar:
        if self.mode == "24/7":
            return Calendar.always_open()
        return Calendar.weekly(
            self.timezone,
            self.hours,
            country=self.country,
            subdivision=self.subdivision,
            closed_dates=self.closed_dates,
        )

    @classmethod
    def of(cls, calendar: Calendar) -> "CalendarBody":
        if calendar.always:
            return cls()
        return cls(
            mode="business_hours",
            timezone=calendar.timezone,
            hours=calendar.hours(),
            country=calendar.country,
            subdivision=calendar.subdivision,
            closed_dates=sorted(calendar.closed_dates),
        )


class SlaPolicyPut(Strict):
    targets: Annotated[dict[Priority, TargetSeconds], Field(min_length=1)]
    category: Label | None = None
    department: Label | None = None
    customer_tier: Label | None = None
    rank: int = Field(default=0, ge=0, le=1000)
    calendar: CalendarBody = Field(default_factory=CalendarBody)
    pause_on: Annotated[
        list[Literal[TicketStatus.pending, TicketStatus.on_hold]], Field(max_length=2)
    ] = [TicketStatus.pending]
    warn_at: float = Field(default=DEFAULT_WARN_AT, gt=0, lt=1)
    on_breach: Annotated[list[BreachAction], Field(max_length=4)] = Field(default_factory=list)
    raise_to: Priority | None = None

    def policy(self, name: str, version: int) -> SlaPolicy:
        return SlaPolicy(
            name=name,
            version=version,
            targets={p: t.mapping() for p, t in self.targets.items()},
            calendar=self.calendar.calendar(),
            rank=self.rank,
            category=self.category,
            department=self.department,
            customer_tier=self.customer_tier,
            pause_on=frozenset(self.pause_on),
            warn_at=self.warn_at,
            on_breach=tuple(dict.fromkeys(self.on_breach)),
            raise_to=self.raise_to,
        )


class SlaPolicyRead(SlaPolicyPut):
    name: str
    version: int

    @classmethod
    def of(cls, policy: SlaPolicy) -> "SlaPolicyRead":
        return cls(
            name=policy.name,
            version=policy.version,
            targets={
                p: TargetSeconds(**{t.value: s for t, s in ts.items()})
                for p, ts in policy.targets.items()
            },
            category=policy.category,
            department=policy.department,
            customer_tier=policy.customer_tier,
            rank=policy.rank,
            calendar=CalendarBody.of(policy.calendar),
            pause_on=sorted(policy.pause_on),
            warn_at=policy.warn_at,
            on_breach=list(policy.on_breach),
            raise_to=policy.raise_to,
        )


class SlaPolicyList(BaseModel):
    data: list[SlaPolicyRead]
    count: int


class SlaClockRead(BaseModel):
    target: SlaTarget
    cycle: int
    state: Literal["running", "paused", "met", "breached", "stopped"]
    paused: bool
    target_seconds: float
    started_at: datetime
    due_at: datetime | None
    seconds_left: float
    warning_sent: bool
    breached: bool

    @classmethod
    def of(cls, clock: SlaClock, calendar: Calendar, now: datetime) -> "SlaClockRead":
        state = clock.state.value
        if clock.breached and clock.state is not ClockState.met:
            state = "breached"
        return cls(
            target=clock.target,
            cycle=clock.cycle,
            state=state,
            paused=clock.state is ClockState.paused,
            target_seconds=clock.target_seconds,
            started_at=clock.started_at,
            due_at=clock.due_at,
            seconds_left=round(clock.left(calendar, now), 3),
            warning_sent=clock.warned,
            breached=clock.breached,
        )


class TicketSlaRead(BaseModel):
    ticket_id: str
    policy: str | None
    policy_version: int | None
    clocks: list[SlaClockRead]
