"""Answer every request in bounded time: shed load with 503 + Retry-After, never hang.

Under a backlog a service's store and event loop are busy with consumers, and an HTTP
request can wait behind them for tens of seconds; a client then times out without knowing
what happened. Two limits, as an ASGI middleware around every route but health checks:
- admission: at most `max_in_flight` requests are served at once; one that cannot get a
  slot within `queue_seconds` is refused at once, before any work is done;
- deadline: one that is not answered within `deadline_seconds` is cut short. Its writes
  may or may not have happened (each single-document write is whole, and the outbox sweep
  publishes what a cut left behind), so the answer says to retry with the same
  Idempotency-Key, which makes a retry safe.
"""

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketflow_shared.asgi import send_detail

log = logging.getLogger(__name__)
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class OverloadLimits:
    max_in_flight: int = 64
    queue_seconds: float = 0.25
    deadline_seconds: float = 1.0
    retry_after_seconds: float = 1.0


class LoadShedding:
    """`path_deadlines`: a longer deadline for the paths a pattern fully matches (a route
    whose work grows with a big body), the first matching pattern's."""

    def __init__(
        self,
        app: ASGIApp,
        limits: OverloadLimits,
        path_deadlines: Mapping[str, float] | None = None,
    ) -> None:
        self.app = app
        self.limits = limits
        self.path_deadlines = [(re.compile(p), s) for p, s in (path_deadlines or {}).items()]
        self._slots = asyncio.Semaphore(limits.max_in_flight)

    def _deadline(self, path: str) -> float:
        found = (s for pattern, s in self.path_deadlines if pattern.fullmatch(path))
        return next(found, self.limits.deadline_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        limits = self.limits
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(limits.queue_seconds):
                await self._slots.acquire()
        except TimeoutError:
            await _refuse(send, limits, "busy: too many requests under way; try again shortly")
            return
        try:
            seconds = self._deadline(scope["path"])
            if not await _answered_in_time(self.app, scope, receive, send, started + seconds):
                log.warning(
                    "%s %s cut short after %.2f s",
                    scope["method"],
                    scope["path"],
                    loop.time() - started,
                )
                await _refuse(
                    send,
                    limits,
                    "not finished in time; retry with the same Idempotency-Key, which is safe "
                    "(without one, the request may have taken effect)",
                )
        finally:
            self._slots.release()


async def _answered_in_time(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, deadline: float
) -> bool:
    """Run the request; False if it had not begun its answer by `deadline` (it is then
    cancelled, and nothing of it reaches the client). An answer begun in time is finished
    whatever it takes. The choice is made in one step at the deadline, so an answer starting
    at that very moment is either sent whole or not at all."""
    answering = asyncio.Event()
    cut = False

    async def watched_send(message: Message) -> None:
        if not answering.is_set():
            if cut:
                raise asyncio.CancelledError  # the 503 goes out instead
            answering.set()
        await send(message)

    request = asyncio.create_task(app(scope, receive, watched_send))
    begun = asyncio.create_task(answering.wait())
    try:
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        await asyncio.wait({request, begun}, timeout=remaining, return_when="FIRST_COMPLETED")
        if not (answering.is_set() or request.done()):
            cut = True
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await request
            return False
        await request
        return True
    finally:
        begun.cancel()
        if not request.done():  # this request itself was cancelled (shutdown, disconnect)
            request.cancel()


async def _refuse(send: Send, limits: OverloadLimits, detail: str) -> None:
    retry_after = str(math.ceil(limits.retry_after_seconds))
    await send_detail(send, 503, detail, {"retry-after": retry_after})
