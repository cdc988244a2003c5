"""FastAPI app factory every service uses: lifespan, health, readiness, tracing."""

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from ticketflow_shared import dead_letters
from ticketflow_shared.access.audit import Auditing, audit_router
from ticketflow_shared.access.guard import ADMINS, OPERATORS, Authentication, allow, caller
from ticketflow_shared.access.principal import Principal, Role, Scope
from ticketflow_shared.access.wiring import ProcessAccess
from ticketflow_shared.docs import serve_docs
from ticketflow_shared.errors import Refusal, Unprocessable
from ticketflow_shared.limits import MESSAGE_CHARS, BodySizeLimit, bounded, bounded_errors
from ticketflow_shared.metrics import metrics_router
from ticketflow_shared.overload import LoadShedding, OverloadLimits
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.telemetry import redact_server_span, setup_telemetry

Hook = Callable[[Runtime], Awaitable[None]]


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422, safe to encode when the rejected input holds NaN or Infinity, and
    echoing no more than a short prefix of it."""
    assert isinstance(exc, RequestValidationError)
    errors = bounded_errors(jsonable_encoder(exc.errors()))
    return JSONResponse({"detail": _json_safe(errors)}, status_code=422)


def _json_safe(value: object) -> object:
    """Echo non-finite numbers as text: strict JSON has no NaN, and the encoder refuses them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


async def refusal_handler(request: Request, exc: Exception) -> JSONResponse:
    """Every service's domain refusals as HTTP answers, one way (`errors.py`)."""
    assert isinstance(exc, Refusal)
    if isinstance(exc, Unprocessable):
        detail: object = bounded_errors(exc.problems())
    else:
        detail = bounded(str(exc), MESSAGE_CHARS)
    return JSONResponse({"detail": detail}, status_code=exc.status)


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


SubjectVisibility = Callable[[str, Scope], Awaitable[bool]]
"""Whether a caller with this scope may see what a message's subject (a ticket id) names."""


def dead_letter_router(
    runtime: Runtime, purpose: str = "events", visible: SubjectVisibility | None = None
) -> APIRouter:
    """Inspect (admins; supervisors those about their departments' tickets) and replay
    (admins) this service's dead-lettered messages."""
    router = APIRouter(prefix="/dead-letters", tags=["operations"])

    @router.get("", summary="Messages this service gave up on, oldest first")
    async def list_dead_letters(
        caller: Annotated[Principal, Depends(allow(Role.admin, Role.supervisor))],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict:
        count, letters = await dead_letters.peek(runtime.bus, purpose, limit)
        scope = caller.scope()
        if not scope.everything:
            # Of the first `limit`, those whose ticket the caller may see.
            letters = [
                letter
                for letter in letters
                if letter.subject and visible and await visible(letter.subject, scope)
            ]
            count = len(letters)
        return {"count": count, "data": [asdict(letter) for letter in letters]}

    @router.post(
        "/replay",
        summary="Put dead letters back on this service's queue (admins)",
        dependencies=[Depends(allow(*ADMINS))],
    )
    async def replay_dead_letters(limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> dict:
        return {"replayed": await dead_letters.replay(runtime.bus, purpose, limit)}

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
    open_paths: Sequence[str] = (),
    pages: Sequence[str] = (),
    login_path: str | None = None,
    dead_letter_visibility: SubjectVisibility | None = None,
    body_limits: Mapping[str, int] | None = None,
    slow_paths: Mapping[str, float] | None = None,
) -> FastAPI:
    """Build a service's FastAPI app.

    `on_start` hooks run once store and bus are up; `on_stop` hooks run, in reverse order,
    before they close; `on_closed` hooks after, once in-flight handlers have finished (for
    what those handlers still use). Every route but the health checks, the API docs and
    `open_paths` needs credentials; routes in `routers` say which roles may use them.
    `pages` are for browsers: they also take the session cookie that `login_path` sets.
    `dead_letter_visibility` says which dead letters a department-scoped caller may see.
    `body_limits` give a path that takes big bodies its own limit (bytes), `slow_paths` the
    paths a pattern matches their own deadline (seconds).
    """
    settings = runtime.settings
    access = ProcessAccess(runtime, tuple(open_paths), tuple(pages), login_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await runtime.start()
            await access.start(runtime)
            for hook in on_start:
                await hook(runtime)
            yield
        finally:
            for hook in reversed(on_stop):
                await hook(runtime)
            await runtime.stop()
            for hook in reversed(on_closed):
                await hook(runtime)

    app = FastAPI(
        title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    serve_docs(app)
    # Outermost last: the body limit, load shedding, authentication, the audit trail.
    app.add_middleware(Auditing, trail=access.trail)
    app.add_middleware(Authentication, access=access.control)
    app.add_middleware(
        LoadShedding,
        limits=OverloadLimits(
            max_in_flight=settings.http_max_in_flight,
            queue_seconds=settings.http_queue_seconds,
            deadline_seconds=settings.http_deadline_seconds,
        ),
        path_deadlines=slow_paths,
    )
    # Outermost, so a body over the limit is refused before it takes one of the slots above.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.http_max_body_bytes,
        path_limits=body_limits,
    )
    app.state.runtime = runtime
    app.state.access = access
    app.state.audit = access.trail
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(Refusal, refusal_handler)
    app.include_router(health_router(runtime))
    app.include_router(dead_letter_router(runtime, visible=dead_letter_visibility))
    app.include_router(metrics_router(), dependencies=[Depends(allow(*OPERATORS))])
    app.include_router(audit_router())
    for router in routers:
        app.include_router(router, dependencies=[Depends(caller)])
    provider = setup_telemetry(
        settings.service_name, settings.otel_exporter, settings.otel_endpoint
    )
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, server_request_hook=redact_server_span
    )
    return app
