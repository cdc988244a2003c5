"""Builds the reporting app: `uvicorn reporting.bootstrap:create_app --factory --port 8004`."""

from functools import partial

from fastapi import Depends, FastAPI

from reporting import api, consumers, handlers, login, routing_api
from reporting.adapters import tickets
from reporting.adapters.agents import MongoAgentProfiles
from reporting.adapters.tickets import MongoTicketRows
from reporting.handlers import ReadModels
from reporting.settings import ReportingSettings
from ticketflow_shared.access.guard import caller
from ticketflow_shared.http import service_app
from ticketflow_shared.runtime import Runtime


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    runtime = Runtime(settings, indexes=tickets.INDEXES)
    models = ReadModels(MongoTicketRows(runtime.db), MongoAgentProfiles(runtime.db))

    async def start_consumers(runtime: Runtime) -> None:
        await consumers.subscribe(runtime, models)

    app = service_app(
        runtime,
        title="ticketflow reporting",
        description="Read models and KPIs built from every ticket, agent and notification event.",
        routers=ROUTERS,
        on_start=[start_consumers],
        dead_letter_visibility=partial(handlers.sees_ticket, models.tickets),
        open_paths=[login.LOGIN_PATH, "/logout"],
        pages=["/"],
        login_path=login.LOGIN_PATH,
    )
    app.include_router(login.router)
    install_state(app, models, settings)
    return app


ROUTERS = (api.reports, routing_api.router, api.pages)


def install_api(app: FastAPI, models: ReadModels, settings: ReportingSettings) -> None:
    """Routes and what they read on a bare app; tests call it with in-memory read models
    (and say who calls by overriding the `caller` dependency)."""
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(caller)])
    install_state(app, models, settings)


def install_state(app: FastAPI, models: ReadModels, settings: ReportingSettings) -> None:
    app.state.read_models = models
    app.state.settings = settings
