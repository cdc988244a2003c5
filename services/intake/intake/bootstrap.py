"""Builds the intake app: settings, store, bus, repositories, routes and consumers.

Run: `uvicorn intake.bootstrap:create_app --factory --port 8001`
"""

import asyncio
from functools import partial

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError

from intake import (
    api,
    attachments_api,
    auto_close,
    chat_api,
    consumers,
    crm_api,
    crm_handlers,
    customers_api,
    desk_api,
    duplicates_api,
    email_api,
    handlers,
    handoffs_api,
    kb_api,
    macros_api,
    merge_api,
    self_service_api,
    web_form,
)
from intake.adapters import email_attachments, handoff_views
from intake.adapters import tickets as ticket_store
from intake.adapters.categories import MongoCategoryRepository
from intake.adapters.chat_conversations import CHAT_CONVERSATIONS, MongoChatConversations
from intake.adapters.checklists import HANDOFF_CHECKLISTS, MongoChecklistRepository
from intake.adapters.close_claims import CLOSE_CLAIMS, MongoCloseClaims
from intake.adapters.crm_pushes import CRM_PUSHES, MongoCrmPushes
from intake.adapters.crm_pushes import INDEXES as CRM_PUSH_INDEXES
from intake.adapters.customer_identities import CUSTOMER_IDENTITIES, MongoCustomerIdentities
from intake.adapters.customer_profiles import (
    CUSTOMER_PROFILES,
    CUSTOMER_TIMELINES,
    MongoCustomerProfiles,
)
from intake.adapters.customers import CUSTOMERS, MIGRATIONS, CustomerTickets
from intake.adapters.duplicates import DECISION_INDEXES as DUPLICATE_DECISION_INDEXES
from intake.adapters.duplicates import DUPLICATE_DECISIONS, MongoDuplicateStore
from intake.adapters.handoff_views import MongoHandoffViews
from intake.adapters.kb_articles import KB_ARTICLES, MongoKnowledgeBase
from intake.adapters.links import INDEXES as TICKET_LINK_INDEXES
from intake.adapters.links import TICKET_LINKS, MongoTicketLinks
from intake.adapters.macros import MACROS, MongoMacroRepository
from intake.adapters.tickets import MongoTicketRepository
from intake.adapters.timelines import MongoTimelines
from intake.adapters.triage_examples import MongoTrainingExamples
from intake.adapters.triage_store import TRIAGE, MongoTriageStore
from intake.customer_handlers import Customers
from intake.domain import triage_text
from intake.domain.categories import DEFAULT_CATEGORIES
from intake.ports import CategoryRepository, MacroRepository, TicketRepository
from intake.settings import IntakeSettings
from intake.smtp_listener import SmtpListener
from intake.triage_api import install_triage, triage_router
from intake.triage_step import Triager
from ticketflow_shared.access.guard import caller
from ticketflow_shared.access.key_admin import api_key_router
from ticketflow_shared.access.key_store import API_KEYS
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.errors import Refusal
from ticketflow_shared.http import refusal_handler, request_validation_handler, service_app
from ticketflow_shared.runtime import Runtime

TICKETS = "tickets"
CATEGORIES = "categories"


def create_app(settings: IntakeSettings | None = None, clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    settings = settings or IntakeSettings()
    # Refuses to start without keys: customer data is never stored in clear text.
    cipher = settings.field_cipher()
    runtime = Runtime(
        settings,
        indexes={
            TICKETS: [*ticket_store.INDEXES, *handoff_views.INDEXES],
            email_attachments.EMAIL_ATTACHMENTS: email_attachments.INDEXES,
            DUPLICATE_DECISIONS: DUPLICATE_DECISION_INDEXES,
            TICKET_LINKS: TICKET_LINK_INDEXES,
            CRM_PUSHES: CRM_PUSH_INDEXES,
        },
        outbox_collections=[TICKETS, API_KEYS],
        clock=clock,
    )
    customers = CustomerTickets(runtime.db[CUSTOMERS], runtime.db[MIGRATIONS])
    timelines = MongoTimelines(runtime.db[CUSTOMER_TIMELINES], runtime.db[MIGRATIONS], cipher)
    tickets = MongoTicketRepository(
        runtime.db[TICKETS],
        customers,
        runtime.publish_outbox,
        cipher,
        timelines=timelines,
    )
    runtime.relay.prepare_with(TICKETS, tickets.refile)
    categories = MongoCategoryRepository(runtime.db[CATEGORIES])
    profiles = MongoCustomerProfiles(runtime.db[CUSTOMER_PROFILES], cipher)
    app_identities = MongoCustomerIdentities(runtime.db[CUSTOMER_IDENTITIES], cipher, profiles)
    chat_conversations = MongoChatConversations(runtime.db[CHAT_CONVERSATIONS])
    # Inbound email: the webhook's and the SMTP listener's one path.
    attachments = email_attachments.stored_in(runtime.db, cipher)
    triage_store = MongoTriageStore(runtime.db[TRIAGE], settings.triage_refresh_seconds)
    knowledge = MongoKnowledgeBase(runtime.db[KB_ARTICLES], settings.triage_refresh_seconds)
    links = settings.self_service_links()
    triager = Triager(
        triage_store,
        settings.triage_default_category,
        knowledge,
        links=links,
        min_suggestion_score=settings.triage_suggestion_min_score,
        min_suggestion_share=settings.triage_suggestion_min_share,
        rules_budget_seconds=settings.triage_rules_budget_seconds,
    )
    inbox = email_api.email_inbox(settings, tickets, categories, attachments, triager)
    smtp = SmtpListener(settings, inbox)
    # The lifecycle: solved tickets close by themselves.
    auto_close.schedule_auto_close(
        runtime.scheduler,
        tickets,
        MongoCloseClaims(runtime.db[CLOSE_CLAIMS]),
        after_seconds=settings.close_solved_after_seconds,
        every_seconds=settings.close_sweep_seconds,
    )

    async def seed_categories(_: Runtime) -> None:
        if settings.seed_default_categories:
            await categories.seed(DEFAULT_CATEGORIES)

    async def seal_existing_tickets(_: Runtime) -> None:
        await tickets.seal_stored(runtime.db[MIGRATIONS])

    async def prime_triage(_: Runtime) -> None:
        await triage_store.prime()
        await knowledge.ready()
        if settings.duplicate_detection:  # every new ticket's fingerprint may need jieba
            await asyncio.to_thread(triage_text.warm)

    async def consume(running: Runtime) -> None:
        await consumers.subscribe(running, tickets)

    app = service_app(
        runtime,
        title="ticketflow intake",
        description="One front door for every channel; owns the ticket and its lifecycle.",
        routers=[*ROUTERS, api_key_router(ticket_store.SOURCE)],
        on_start=[seed_categories, seal_existing_tickets, prime_triage, consume, smtp.start],
        on_stop=[smtp.stop],
        dead_letter_visibility=partial(handlers.sees_ticket, tickets),
        open_paths=[chat_api.SLACK_EVENTS_PATH, *web_form.OPEN_PATHS, *self_service_api.OPEN_PATHS],
        body_limits={email_api.EMAIL_PATH: settings.inbound_email_max_bytes},
        slow_paths=email_api.SLOW_PATHS,
    )
    # The customers' web form holds no key: open, with a budget per address instead.
    web_form.install_web_form(app, settings)
    # Self-service: the acknowledgement's signed article links are the credential.
    app.include_router(self_service_api.help_router)
    app.state.self_service_links = links
    # Slack signs its requests instead of holding a key: checked by the route itself.
    app.include_router(chat_api.slack_router)
    app.state.chat_conversations = chat_conversations
    app.state.email_inbox = inbox
    app.state.email_attachments = attachments
    install_state(app, tickets, categories)
    app.state.customer_identities = app_identities
    app.state.customers = Customers(profiles, app_identities, timelines)
    crm_pushes = MongoCrmPushes(runtime.db[CRM_PUSHES])
    app.state.crm_pushes = crm_pushes
    crm_handlers.schedule_push_pruning(
        runtime.scheduler,
        crm_pushes,
        kept_days=settings.crm_push_retention_days,
        every_seconds=settings.crm_push_sweep_seconds,
    )
    app.state.intake_settings = settings
    app.state.runtime = runtime
    handoffs_api.install_handoffs(
        app,
        MongoChecklistRepository(runtime.db[HANDOFF_CHECKLISTS]),
        MongoHandoffViews(runtime.db[TICKETS], cipher),
    )
    install_macros(app, MongoMacroRepository(runtime.db[MACROS]))
    app.state.knowledge = knowledge
    install_triage(
        app,
        triage_store,
        triager,
        MongoTrainingExamples(runtime.db[TICKETS], cipher),
    )
    duplicate_store = MongoDuplicateStore(
        runtime.db[TICKETS], timelines, runtime.db[DUPLICATE_DECISIONS], cipher
    )
    duplicates_api.install_duplicates(app, duplicate_store, tickets, settings)
    merge_api.install_links(app, MongoTicketLinks(runtime.db[TICKET_LINKS]))
    # Email tickets take the same customer linking and duplicate check as every channel.
    inbox.identities = app_identities
    inbox.duplicates = app.state.duplicates
    return app


ROUTERS = (
    api.tickets_router,
    api.categories_router,
    *handoffs_api.ROUTERS,
    # The lifecycle, the conversation, the procedure (SOP) and the desk.
    desk_api.lifecycle_router,
    desk_api.procedure_router,
    desk_api.desk_router,
    *macros_api.ROUTERS,
    email_api.email_router,
    attachments_api.attachments_router,
    chat_api.chat_router,
    triage_router,
    kb_api.kb_router,
    customers_api.customers_router,
    crm_api.crm_router,
    crm_api.crm_channel_router,
    duplicates_api.duplicates_router,
    merge_api.merge_router,
)


def install_api(app: FastAPI, tickets: TicketRepository, categories: CategoryRepository) -> None:
    """Routes, their repositories and error mapping on a bare app; tests call it with
    in-memory fakes (and say who calls by overriding the `caller` dependency)."""
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(caller)])
    # What service_app registers on a full app.
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    install_state(app, tickets, categories)


def install_state(app: FastAPI, tickets: TicketRepository, categories: CategoryRepository) -> None:
    """What intake's routes read from the app, and how its domain errors become answers."""
    app.state.tickets = tickets
    app.state.categories = categories
    app.add_exception_handler(Refusal, refusal_handler)


def install_macros(app: FastAPI, macros: MacroRepository) -> None:
    """Where the macro routes find their macros (installed with ROUTERS)."""
    app.state.macros = macros
