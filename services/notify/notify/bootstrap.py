"""Builds the notify app: settings, store, bus, SMTP sender, API and consumers."""

import asyncio
from datetime import timedelta
from functools import partial

from fastapi import FastAPI

from notify import api, consumers, handlers, paging_api
from notify.adapters import DELIVERIES, INDEXES
from notify.adapters.deliveries import MongoDeliveryRepository
from notify.adapters.paging import MongoPagingRepository
from notify.adapters.rendering import ProcessRenderer
from notify.adapters.smtp import SmtpSender
from notify.adapters.templates import MongoTemplateRepository
from notify.adapters.tickets import MongoTicketRepository
from notify.domain.catalog import DEFAULT_TEMPLATES
from notify.handlers import NotifyDeps
from notify.settings import NotifySettings
from ticketflow_shared.http import service_app
from ticketflow_shared.runtime import Runtime


def build_deps(
    runtime: Runtime,
    settings: NotifySettings,
    tickets: MongoTicketRepository,
    deliveries: MongoDeliveryRepository,
) -> NotifyDeps:
    return NotifyDeps(
        tickets=tickets,
        templates=MongoTemplateRepository(runtime.db, settings.template_cache_seconds),
        deliveries=deliveries,
        sender=SmtpSender(settings),
        renderer=ProcessRenderer(
            timeout_seconds=settings.template_timeout_seconds,
            workers=settings.template_workers,
            memory_bytes=settings.template_memory_mb * 2**20,
        ),
        publish_outbox=partial(runtime.publish_outbox, runtime.db[DELIVERIES]),
        mail_domain=settings.mail_domain,
        send_lease=timedelta(seconds=settings.send_lease_seconds),
        send_slots=asyncio.Semaphore(settings.max_concurrent_sends),
    )


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    # Refuses to start without keys: customer data is never stored in clear text.
    cipher = settings.field_cipher()
    runtime = Runtime(settings, INDEXES, outbox_collections=[DELIVERIES])
    tickets = MongoTicketRepository(runtime.db, cipher)
    deliveries = MongoDeliveryRepository(runtime.db, cipher)
    deps = build_deps(runtime, settings, tickets, deliveries)
    paging = MongoPagingRepository(runtime.db)

    async def seed_templates(_: Runtime) -> None:
        await deps.templates.seed(list(DEFAULT_TEMPLATES.values()))
        await deps.renderer.warm_up()

    async def seal_stored(_: Runtime) -> None:
        await tickets.seal_stored()
        await deliveries.seal_stored()

    async def stop_renderer(_: Runtime) -> None:
        await deps.renderer.close()

    async def start_consuming(started: Runtime) -> None:
        await consumers.subscribe(started, deps, paging)

    app = service_app(
        runtime,
        title="ticketflow notify",
        description="Tells customers by email what happened to their tickets.",
        routers=(*api.routers, paging_api.router),
        on_start=[seed_templates, seal_stored, start_consuming],
        dead_letter_visibility=partial(handlers.sees_ticket, deps),
        on_closed=[stop_renderer],  # handlers under way still render
    )
    app.state.notify = deps
    app.state.paging = paging
    return app
