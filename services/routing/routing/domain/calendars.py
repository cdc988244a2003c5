"""Weekly working hours in a time zone, with public holidays: when an agent is on shift, and
how much working time lies between two moments (what SLA targets are measured in).

All arithmetic runs on the real instants of each local working interval, converted with
`zoneinfo`, so a day on which clocks change is as long as it really is (09:00-17:00 is eight
hours either way; a 24-hour day that loses an hour counts 23). An interval may run past
midnight (22:00-06:00); its part after midnight belongs to the next day, holidays included.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
SEARCH_DAYS = 3 * 366 + 7
"""How far ahead a calendar is searched for open time before it counts as never open."""


class CalendarError(ValueError):
    """A calendar that cannot be used: unknown zone or country, bad hours, never open."""


@dataclass(frozen=True, order=True)
class Interval:
    """Working minutes of one local day, [start, end), 0 <= start < end <= 1440."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> list["Interval"]:
        """`HH:MM-HH:MM`; one running past midnight gives this day's part and the next's."""
        try:
            first, last = (part.strip() for part in text.split("-"))
            start, end = _minutes(first), _minutes(last)
        except ValueError:
            raise CalendarError(f"{text!r} is not HH:MM-HH:MM") from None
        if start == end:
            raise CalendarError(f"{text!r} is empty")
        if start < end:
            return [cls(start, end)]
        return [cls(start, MINUTES_PER_DAY), cls(0, end)] if end else [cls(start, MINUTES_PER_DAY)]

    def text(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (len(minutes) == 2 and 0 <= int(minutes) < 60 and 0 <= value <= MINUTES_PER_DAY):
        raise ValueError(text)
    return value


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holiday_data.country_holidays(country, subdiv=subdivision, years=year))


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (Monday first) in `timezone`, closed on the public holidays
    of `country` (and `subdivision`) and on `closed_dates`. `always` is 24/7: no hours, no
    holidays."""

    timezone: str = "UTC"
    week: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: ((),) * 7)
    country: str | None = None
    subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()
    always: bool = False

    @classmethod
    def always_open(cls) -> "Calendar":
        return cls(always=True)

    @classmethod
    def weekly(
        cls,
        timezone: str,
        hours: Mapping[str, Sequence[str]],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        closed_dates: Sequence[date] = (),
    ) -> "Calendar":
        """From `{"mon": ["09:00-17:00"], ...}`; days left out are closed."""
        unknown = set(hours) - set(DAYS)
        if unknown:
            raise CalendarError(f"unknown days {sorted(unknown)}; use {', '.join(DAYS)}")
        days: list[list[Interval]] = [[] for _ in DAYS]
        for index, day in enumerate(DAYS):
            for text in hours.get(day, ()):
                parts = Interval.parse(text)
                days[index].append(parts[0])
                if len(parts) == 2:
                    days[(index + 1) % 7].append(parts[1])
        week = tuple(_merged(intervals) for intervals in days)
        calendar = cls(
            timezone=timezone,
            week=week,
            country=country.upper() if country else None,
            subdivision=subdivision.upper() if subdivision else None,
            closed_dates=frozenset(closed_dates),
        )
        calendar.check()
        return calendar

    def check(self) -> None:
        """Raise CalendarError unless the zone and country are known and it is ever open."""
        if self.always:
            return
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"unknown time zone {self.timezone!r}") from None
        if self.country is not None:
            try:
                _public_holidays(self.country, self.subdivision, 2026)
            except NotImplementedError:
                where = f"{self.country}/{self.subdivision}" if self.subdivision else self.country
                raise CalendarError(f"no public holidays known for {where!r}") from None
        if not any(self.week):
            raise CalendarError("a calendar needs working hours on at least one day")

    def hours(self) -> dict[str, list[str]]:
        """The weekly hours as `weekly` takes them (an overnight interval as its two parts)."""
        return {day: [i.text() for i in self.week[n]] for n, day in enumerate(DAYS) if self.week[n]}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        return self.country is not None and day in _public_holidays(
            self.country, self.subdivision, day.year
        )

    def intervals(
        self, start: datetime, end: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open periods, as UTC instants, overlapping [start, end) (unbounded if no end),
        clipped to it, in order; adjacent periods are joined."""
        start = start.astimezone(UTC)
        if self.always:
            yield start, (end.astimezone(UTC) if end else datetime.max.replace(tzinfo=UTC))
            return
        pending: tuple[datetime, datetime] | None = None
        for opened, closed in self._day_intervals(start):
            if end is not None and opened >= end:
                break
            opened, closed = max(opened, start), min(closed, end) if end else closed
            if closed <= opened:
                continue
            if pending and pending[1] >= opened:
                pending = (pending[0], max(pending[1], closed))
                continue
            if pending:
                yield pending
            pending = (opened, closed)
        if pending:
            yield pending

    def _day_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        zone = self.zone
        day = start.astimezone(zone).date() - timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if not self.is_holiday(day):
                for interval in self.week[day.weekday()]:
                    yield _instant(day, interval.start, zone), _instant(day, interval.end, zone)
            day += timedelta(days=1)

    def next_opening(self, after: datetime) -> datetime | None:
        """The first instant after `after` at which a closed calendar opens (None: never)."""
        if self.always:
            return None
        for opened, _ in self.intervals(after):
            if opened > after.astimezone(UTC):
                return opened
        return None

    def is_open(self, at: datetime) -> bool:
        return self.window(at)[0]

    def window(self, at: datetime) -> tuple[bool, datetime | None]:
        """Whether it is open at `at`, and until when that stays so (None: for good)."""
        if self.always:
            return True, None
        for opened, closed in self.intervals(at):
            if opened <= at.astimezone(UTC):
                return True, closed
            return False, opened
        return False, None

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have passed since `start`."""
        if seconds <= 0:
            return start
        if self.always:
            return start + timedelta(seconds=seconds)
        left = timedelta(seconds=seconds)
        for opened, closed in self.intervals(start):
            if closed - opened >= left:
                return opened + left
            left -= closed - opened
        raise CalendarError("the calendar has no working time left to measure in")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); 0 if end is not after start."""
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds()
        return sum((c - o).total_seconds() for o, c in self.intervals(start, end))


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of local `minutes` after midnight of `day` (1440: the next midnight)."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _merged(intervals: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    return tuple(merged)
