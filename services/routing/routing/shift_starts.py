"""Shift starts as durable timers: when an agent's shift begins, the queue's backlog drains to
them, as it does when they come online. One timer per agent with a shift, at its next start;
each firing arms the next. Two processes firing the same start both drain, which is safe: a
drain only claims what is still queued."""

import logging
from datetime import datetime, timedelta

from routing import assigning
from routing.adapters import collections as names
from routing.domain.calendars import Calendar
from routing.ports import Stores
from routing.settings import RoutingSettings
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.timers import DueTimers, Timer

log = logging.getLogger(__name__)
EARLY = timedelta(seconds=1)  # a timer the scheduler fires a little early still moves on


class ShiftStarts:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.timers: DueTimers | None = None

    async def arm(
        self, agent_id: str, shift: Calendar | None, after: datetime | None = None
    ) -> None:
        """Schedule the agent's next shift start (or cancel it: no shift, or none ahead)."""
        if self.timers is None:
            return
        start = shift.next_opening(after or self.stores.now()) if shift else None
        if start is None:
            await self.timers.cancel(_key(agent_id))
        else:
            await self.timers.schedule(_key(agent_id), start, {"agent_id": agent_id})

    async def started(self, timer: Timer) -> None:
        """A shift began: drain the agent's backlog and arm the next start. Owes no events."""
        agent_id = timer.data.get("agent_id")
        agent = await self.stores.agents.get(agent_id) if agent_id else None
        if agent is None:
            return None
        drained = await assigning.drain(agent_id, self.stores)
        log.info("agent %s came on shift: %d queued tickets given", agent_id, drained)
        await self.arm(agent_id, agent.shift, max(self.stores.now(), timer.due) + EARLY)
        return None

    async def arm_missing(self) -> int:
        """Arm a start for every agent with a shift and no timer (shifts set before timers)."""
        if self.timers is None:
            return 0
        armed = {doc["_id"] async for doc in self.timers.timers.find({}, {"_id": 1})}
        count = 0
        for agent in await self.stores.agents.search():
            if agent.shift is not None and _key(agent.agent_id) not in armed:
                await self.arm(agent.agent_id, agent.shift)
                count += 1
        return count


def _key(agent_id: str) -> str:
    return f"shift:{agent_id}"


def build_shift_starts(runtime: Runtime, settings: RoutingSettings, stores: Stores) -> ShiftStarts:
    starts = ShiftStarts(stores)
    collection = runtime.db[names.SHIFT_TIMERS]
    starts.timers = DueTimers(
        "shift",
        collection,
        # Never written: `started` returns no events, so no firing is ever claimed.
        collection,
        runtime.scheduler,
        starts.started,
        runtime.relay.flush_inserted,
        clock=runtime.clock,
        poll_seconds=settings.sla_poll_seconds,
        horizon_seconds=settings.sla_horizon_seconds,
    )
    stores.shift_starts = starts
    return starts
