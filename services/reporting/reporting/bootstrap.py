"""Builds the reporting app: `uvicorn reporting.bootstrap:create_app --factory --port 8004`."""

from fastapi import FastAPI

from reporting import api, consumers
from reporting.adapters import tickets
from reporting.adapters.agents import MongoAgentProfiles
from reporting.adapters.tickets import MongoTicketRows
from reporting.handlers import ReadModels
from reporting.settings import ReportingSettings
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
        routers=[],
        on_start=[start_consumers],
    )
    install_api(app, models, settings)
    return app


def install_api(app: FastAPI, models: ReadModels, settings: ReportingSettings) -> None:
    """Routes and what they read; tests call it with in-memory read models."""
    app.include_router(api.reports)
    app.include_router(api.pages)
    app.state.read_models = models
    app.state.settings = settings
