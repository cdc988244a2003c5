"""Routing's SLA parts built on the process's runtime: store, due timers, dependencies."""

from routing import sla_handlers
from routing.adapters import collections as names
from routing.adapters.absent import KnownAbsent
from routing.adapters.sla import SlaStore
from routing.settings import RoutingSettings
from routing.sla_handlers import SlaDeps
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.timers import DueTimers


def build_sla(
    runtime: Runtime, settings: RoutingSettings, unclocked: KnownAbsent | None = None
) -> SlaDeps:
    """`unclocked`: tickets known to have no SLA document (see `SlaStore`)."""
    db = runtime.db
    store = SlaStore(db[names.SLA_TICKETS], db[names.SLA_POLICIES], unclocked=unclocked)
    deps = SlaDeps(store, clock=runtime.clock)
    deps.timers = DueTimers(
        "sla",
        db[names.SLA_TIMERS],
        db[names.SLA_FIRINGS],
        runtime.scheduler,
        lambda timer: sla_handlers.check(timer, deps),
        runtime.relay.flush_inserted,
        claimed=lambda timer, _: sla_handlers.claimed(timer, deps),
        clock=runtime.clock,
        poll_seconds=settings.sla_poll_seconds,
        horizon_seconds=settings.sla_horizon_seconds,
        keep_firings_seconds=settings.sla_firings_kept_days * 86400,
    )
    return deps
