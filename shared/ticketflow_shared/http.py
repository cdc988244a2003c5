"""FastAPI app factory every service uses: lifespan, health, readiness, tracing."""

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ticketflow_shared.metrics import metrics_router
from ticketflow_shared.overload import LoadShedding, OverloadLimits
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.telemetry import redact_server_span, setup_telemetry

Hook = Callable[[Runtime], Awaitable[None]]


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422, safe to encode when the rejected input holds NaN or Infinity."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


def _json_safe(value: object) -> object:
    """Echo non-finite numbers as text: strict JSON has no NaN, and the encoder refuses them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def health_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Broker and store answer")
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router


def dead_letter_router(runtime: Runtime, purpose: str = "events") -> APIRouter:
    """Inspect and replay this service's dead-lettered messages."""
    router = APIRouter(prefix="/dead-letters", tags=["operations"])

    @router.get("", summary="Messages this service gave up on, oldest first")
    async def list_dead_letters(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
        count, letters = await runtime.bus.dead_letters(purpose, limit)
        return {"count": count, "data": [asdict(letter) for letter in letters]}

    @router.post("/replay", summary="Put dead letters back on this service's queue")
    async def replay_dead_letters(limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> dict:
        return {"replayed": await runtime.bus.replay_dead_letters(purpose, limit)}

    return router


def service_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    on_start: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
    on_closed: Sequence[Hook] = (),
) -> FastAPI:
    """Build a service's FastAPI app.

    `on_start` hooks run once store and bus are up; `on_stop` hooks run, in reverse order,
    before they close; `on_closed` hooks after, once in-flight handlers have finished (for
    what those handlers still use).
    """
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await runtime.start()
            for hook in on_start:
                await hook(runtime)
            yield
        finally:
            for hook in reversed(on_stop):
                await hook(runtime)
            await runtime.stop()
            for hook in reversed(on_closed):
                await hook(runtime)

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.add_middleware(
        LoadShedding,
        limits=OverloadLimits(
            max_in_flight=settings.http_max_in_flight,
            queue_seconds=settings.http_queue_seconds,
            deadline_seconds=settings.http_deadline_seconds,
        ),
    )
    app.state.runtime = runtime
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.include_router(health_router(runtime))
    app.include_router(dead_letter_router(runtime))
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    provider = setup_telemetry(
        settings.service_name, settings.otel_exporter, settings.otel_endpoint
    )
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, server_request_hook=redact_server_span
    )
    return app
