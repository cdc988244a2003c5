"""The four services in this process on one namespace, for the access-control tests."""

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from intake.bootstrap import create_app as intake_app
from intake.settings import IntakeSettings
from notify.bootstrap import create_app as notify_app
from notify.settings import NotifySettings
from reporting.bootstrap import create_app as reporting_app
from reporting.settings import ReportingSettings
from routing.bootstrap import create_app as routing_app
from routing.settings import RoutingSettings
from support import Namespace, serve_in_process

SERVICES = {
    "intake": (intake_app, IntakeSettings),
    "routing": (routing_app, RoutingSettings),
    "notify": (notify_app, NotifySettings),
    "reporting": (reporting_app, ReportingSettings),
}


def build(namespace: Namespace, service: str, **overrides: object) -> FastAPI:
    factory, settings = SERVICES[service]
    return factory(namespace.settings(settings, service, **overrides))


@asynccontextmanager
async def running(
    namespace: Namespace, **overrides: object
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Every service started (store, bus, consumers); a client per service, with no
    credentials of its own: each request says who it is."""
    async with AsyncExitStack() as stack:
        clients = {}
        for service in SERVICES:
            app = build(namespace, service, **overrides)
            clients[service] = await stack.enter_async_context(serve_in_process(app, headers={}))
        yield clients


def concrete(path: str) -> str:
    """An OpenAPI path with each parameter filled in."""
    return re.sub(r"\{[^}]+\}", "TF-NOSUCHTHING", path)
