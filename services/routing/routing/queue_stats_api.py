"""`GET /queue/stats`: live figures per department's queue (TaskRouter-style)."""

from collections import Counter
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from routing import views
from routing.api import DepartmentPath, StoresDep
from routing.domain.queue_stats import QueueStats, queue_stats
from routing.domain.shifts import ShiftWindows
from routing.domain.sla import ClockState
from routing.ports import Stores
from routing.sla_handlers import SlaDeps
from ticketflow_shared.access.guard import Staff
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.errors import NotFound

MAX_WAITING_READ = 5000  # the queue is read whole up to this; beyond it figures are a floor
SHIFTS = ShiftWindows()

router = APIRouter(tags=["queue"])


class QueueStatsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department: str
    waiting: int
    waiting_by_priority: dict[str, int]
    longest_wait_seconds: float | None
    oldest_ticket_id: str | None
    eligible_agents: int
    available_agents: int
    offers_outstanding: int
    sla_at_risk: int


class QueueStatsList(BaseModel):
    data: list[QueueStatsRead]
    count: int
    at: datetime


async def _at_risk(sla: SlaDeps | None, ticket_ids: list[str]) -> set[str]:
    """Tickets with an SLA target warned or breached and not met yet."""
    risky: set[str] = set()
    if sla is None:
        return risky
    for ticket_id in ticket_ids[:MAX_WAITING_READ]:
        found = await sla.store.get(ticket_id)
        clocks = found[0].clocks.values() if found else ()
        if any(
            (c.warned or c.breached) and c.state in (ClockState.running, ClockState.paused)
            for c in clocks
        ):
            risky.add(ticket_id)
    return risky


async def _stats(stores: Stores, sla: SlaDeps | None, scope: Scope) -> list[QueueStats]:
    now = stores.now()
    entries = await stores.queue.waiting(MAX_WAITING_READ)
    agents = await views.agents(stores, scope=scope)
    offers = await stores.offers.pending() if stores.offers is not None else []
    by_department = Counter(offer.department or "(none)" for offer in offers)
    rows = queue_stats(
        entries,
        agents,
        now=now,
        on_shift=SHIFTS.at(now),
        offers_by_department=by_department,
        at_risk=await _at_risk(sla, [e.ticket.ticket_id for e in entries]),
    )
    return [row for row in rows if scope.everything or scope.allows_department(row.department)]


@router.get("/queue/stats", summary="Live figures per department's queue")
async def list_queue_stats(stores: StoresDep, caller: Staff, request: Request) -> QueueStatsList:
    rows = await _stats(stores, getattr(request.app.state, "sla", None), caller.scope())
    data = [QueueStatsRead.model_validate(row) for row in rows]
    return QueueStatsList(data=data, count=len(data), at=stores.now())


@router.get("/queue/stats/{department}", summary="Live figures of one department's queue")
async def get_queue_stats(
    department: DepartmentPath, stores: StoresDep, caller: Staff, request: Request
) -> QueueStatsRead:
    rows = await _stats(stores, getattr(request.app.state, "sla", None), caller.scope())
    for row in rows:
        if row.department == department:
            return QueueStatsRead.model_validate(row)
    raise NotFound(f"no queue figures for department {department!r}")
