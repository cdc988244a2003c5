"""Whether agents are on shift now, with each agent's calendar window cached until it ends."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from routing.domain.agents import Agent
from routing.domain.calendars import Calendar


@dataclass
class ShiftWindows:
    """Caches `Calendar.window` per calendar: reused while the asked time is inside it.

    Keyed by identity (hashing a calendar's holidays costs more than the lookup saves); the
    store hands out one object per distinct shift, and the entry holds it so ids stay unique.
    """

    cache: dict[int, tuple[Calendar, datetime, bool, datetime | None]] = field(default_factory=dict)

    def window(self, calendar: Calendar, now: datetime) -> tuple[bool, datetime | None]:
        cached = self.cache.get(id(calendar))
        if cached is not None:
            _, since, open_, until = cached
            if since <= now and (until is None or now < until):
                return open_, until
        open_, until = calendar.window(now)
        self.cache[id(calendar)] = (calendar, now, open_, until)
        return open_, until

    def on_shift(self, agent: Agent, now: datetime) -> bool:
        return agent.shift is None or self.window(agent.shift, now)[0]

    def at(self, now: datetime) -> Callable[[Agent], bool]:
        """`on_shift` at `now` for the agents of one decision: each shift looked up once."""
        known: dict[int, bool] = {}

        def on_shift(agent: Agent) -> bool:
            shift = agent.shift
            if shift is None:
                return True
            open_ = known.get(id(shift))
            if open_ is None:
                open_ = known[id(shift)] = self.window(shift, now)[0]
            return open_

        return on_shift

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
