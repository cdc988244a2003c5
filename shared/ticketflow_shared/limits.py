"""Bounded requests and echoes: no body over the limit is read, no bad value sent back whole.

`BodySizeLimit` refuses a request whose body is over `max_bytes` with `413`: at once when its
Content-Length says so (before the app runs), and otherwise (chunked, no length) as soon as
the bytes read so far pass the limit, without reading the rest. `bounded` cuts what an error
answer echoes of the caller's input to a short prefix, however large or deep the input.
"""

from collections.abc import Mapping, Sequence
from itertools import islice

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketflow_shared.asgi import send_detail

ECHO_CHARS = 64
ECHO_ITEMS = 8
ECHO_DEPTH = 4
MESSAGE_CHARS = 300
MAX_ERRORS = 20


class BodyTooLarge(Exception):
    """The request body passed the limit while it was being read."""


class BodySizeLimit:
    """`path_limits`: a larger limit for a route that takes big bodies (a raw email)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.default_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        too_large = False
        answering = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise BodyTooLarge(f"request body over {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answering
            if too_large and not answering:  # the app's answer to a cut body: ours goes instead
                return
            answering = answering or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if answering:
                raise
        if too_large and not answering:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        detail = f"request body too large: the limit is {limit} bytes"
        await send_detail(send, 413, detail, {"connection": "close"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length; counting covers the rest
    return None


def bounded(value: object, chars: int = ECHO_CHARS, depth: int = ECHO_DEPTH) -> object:
    """A JSON-like value cut to a short prefix: long strings, many items, deep nesting."""
    if isinstance(value, str):
        return value if len(value) <= chars else f"{value[:chars]}… ({len(value)} characters)"
    if isinstance(value, dict | list | tuple) and depth <= 0:
        return f"… ({type(value).__name__} of {len(value)} items)"
    if isinstance(value, dict):
        kept = {
            bounded(str(key), chars, 0): bounded(item, chars, depth - 1)
            for key, item in islice(value.items(), ECHO_ITEMS)
        }
        if len(value) > ECHO_ITEMS:
            kept["…"] = f"{len(value) - ECHO_ITEMS} more keys"
        return kept
    if isinstance(value, list | tuple):
        kept = [bounded(item, chars, depth - 1) for item in value[:ECHO_ITEMS]]
        if len(value) > ECHO_ITEMS:
            kept.append(f"… {len(value) - ECHO_ITEMS} more items")
        return kept
    return value


def bounded_errors(errors: Sequence[dict]) -> list[dict]:
    """Validation errors in FastAPI's shape, each echo of the input bounded, at most MAX_ERRORS."""
    kept = [_bounded_error(error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        left_out = len(errors) - MAX_ERRORS
        kept.append({"type": "too_many_errors", "loc": [], "msg": f"and {left_out} more errors"})
    return kept


def _bounded_error(error: dict) -> dict:
    """A caller's dict key can be in `loc`, and a validator may quote the value in `msg`."""
    kept = {**error, "loc": [bounded(part) for part in error["loc"]]}
    kept["msg"] = bounded(error["msg"], MESSAGE_CHARS)
    for key in ("input", "ctx"):
        if key in error:
            kept[key] = bounded(error[key])
    return kept
