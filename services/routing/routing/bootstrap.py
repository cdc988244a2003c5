"""Builds the routing app: store, bus, consumers, background sweep, HTTP API."""

from functools import partial

from fastapi import FastAPI

from routing import (
    api,
    consumers,
    escalation_api,
    explain_api,
    offers_api,
    policies_api,
    queue_stats_api,
    shifts_api,
    sla_actions,
    sla_api,
    views,
)
from routing.adapters.absent import KnownAbsent
from routing.adapters.collections import INDEXES, OUTBOX_COLLECTIONS
from routing.adapters.legacy_claims import key_claims_by_ticket
from routing.adapters.stores import mongo_stores
from routing.domain.sla_ticket import TicketSla
from routing.escalation_wiring import build_escalations
from routing.offers_watch import OfferWatch
from routing.settings import RoutingSettings
from routing.shift_starts import build_shift_starts
from routing.sla_wiring import build_sla
from routing.sweeper import Sweeper
from ticketflow_shared.http import service_app
from ticketflow_shared.runtime import Runtime


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    runtime = Runtime(settings, INDEXES, OUTBOX_COLLECTIONS)
    unclocked = KnownAbsent()  # tickets no SLA policy covered: no SLA document to read
    stores = mongo_stores(runtime, unclocked)
    sla = build_sla(runtime, settings, unclocked)
    escalations = build_escalations(runtime, settings, stores, sla)
    shift_starts = build_shift_starts(runtime, settings, stores)

    async def on_breach(ticket: TicketSla) -> None:
        policy = ticket.policy
        raised = policy.raised(ticket.priority)
        await sla_actions.apply_breach(ticket.ticket_id, policy.on_breach, raised, stores)

    sla.on_breach = on_breach
    sweeper = Sweeper(
        stores, settings.sweep_seconds, settings.stale_after_seconds, settings.sweep_batch
    )
    offer_watch = OfferWatch(stores, runtime.scheduler, settings.offer_poll_seconds)
    stores.offer_timers = offer_watch

    async def migrate(runtime: Runtime) -> None:
        await key_claims_by_ticket(runtime.db)

    async def start_consumers(runtime: Runtime) -> None:
        await consumers.subscribe(runtime, stores, sla)

    async def start_sla_timers(runtime: Runtime) -> None:
        sla.timers.start()
        escalations.timers.start()
        await shift_starts.arm_missing()
        shift_starts.timers.start()

    async def start_sweeper(runtime: Runtime) -> None:
        # Only now, after the migration: the sweep must not see claims still being moved.
        sweeper.schedule(runtime.scheduler)
        offer_watch.schedule()

    async def stop_sweeper(runtime: Runtime) -> None:
        sweeper.unschedule(runtime.scheduler)  # a pass under way gets the scheduler's grace
        offer_watch.unschedule()

    app = service_app(
        runtime,
        title="ticketflow routing",
        description="Skill-based assignment of tickets to agents, with queues and capacity.",
        routers=[
            api.router,
            offers_api.router,
            policies_api.router,
            explain_api.router,
            sla_api.router,
            shifts_api.router,
            queue_stats_api.router,
            escalation_api.router,
        ],
        on_start=[migrate, start_consumers, start_sweeper, start_sla_timers],
        dead_letter_visibility=partial(views.sees_ticket, stores),
        on_stop=[stop_sweeper],
    )
    app.state.stores = stores
    app.state.sla = sla
    app.state.escalations = escalations
    return app
