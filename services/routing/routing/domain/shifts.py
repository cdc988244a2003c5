"""Whether agents are on shift now, with each agent's calendar window cached until it ends."""

from dataclasses import dataclass, field
from datetime import datetime

from routing.domain.agents import Agent
from routing.domain.calendars import Calendar


@dataclass
class ShiftWindows:
    """Caches `Calendar.window` per calendar: reused while the asked time is inside it."""

    cache: dict[Calendar, tuple[datetime, bool, datetime | None]] = field(default_factory=dict)

    def window(self, calendar: Calendar, now: datetime) -> tuple[bool, datetime | None]:
        cached = self.cache.get(calendar)
        if cached is not None:
            since, open_, until = cached
            if since <= now and (until is None or now < until):
                return open_, until
        open_, until = calendar.window(now)
        self.cache[calendar] = (now, open_, until)
        return open_, until

    def on_shift(self, agent: Agent, now: datetime) -> bool:
        return agent.shift is None or self.window(agent.shift, now)[0]

    def next_start(self, agents: list[Agent], now: datetime) -> datetime | None:
        """The earliest moment one of `agents`, off shift now, comes on shift."""
        starts = []
        for agent in agents:
            if agent.shift is None:
                continue
            open_, until = self.window(agent.shift, now)
            if not open_ and until is not None:
                starts.append(until)
        return min(starts, default=None)
