"""Routing's escalation steps built on the process's runtime: the due timers, the store of
fired steps, and the queue setting a ticket's timers as it enters and dropping them as it
leaves (assigned, offered, resolved, transferred)."""

from routing import escalation
from routing.adapters import collections as names
from routing.adapters.escalations import MongoEscalations
from routing.adapters.queue import MongoQueue
from routing.escalation import Escalations
from routing.ports import Stores
from routing.settings import RoutingSettings
from routing.sla_handlers import SlaDeps
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.timers import DueTimers


def build_escalations(
    runtime: Runtime, settings: RoutingSettings, stores: Stores, sla: SlaDeps | None = None
) -> Escalations:
    db = runtime.db
    fired = MongoEscalations(db[names.ESCALATIONS], runtime.publish_outbox)
    deps = Escalations(stores, fired, sla=sla.store if sla else None)
    if sla is not None:
        sla.on_timings = lambda ticket: escalation.timings_changed(ticket, stores)
    deps.timers = DueTimers(
        "escalation",
        db[names.ESCALATION_TIMERS],
        # Never written: `check` claims in `escalation_steps` itself and returns no events.
        db[names.ESCALATIONS],
        runtime.scheduler,
        lambda timer: escalation.check(timer, deps),
        runtime.relay.flush_inserted,
        clock=runtime.clock,
        poll_seconds=settings.sla_poll_seconds,
        horizon_seconds=settings.sla_horizon_seconds,
    )
    queue = stores.queue
    if isinstance(queue, MongoQueue):
        queue.on_enter = lambda ticket, queued_at, new: escalation.entered(
            ticket, queued_at, deps, new=new
        )
        queue.on_leave = lambda ticket, queued_at: escalation.settle(ticket, queued_at, deps)
    return deps
