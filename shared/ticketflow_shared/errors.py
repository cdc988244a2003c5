"""Refusals a caller can act on, in the domain's words, and the one way every service
turns them into HTTP answers (pure: domain code raises these, `http.py` maps them).

A 422 keeps FastAPI's own shape (`{"detail": [{"type", "loc", "msg"}]}`) so clients parse one
form; every other refusal is `{"detail": "<message>"}`.
"""

from typing import Any, ClassVar


class Refusal(Exception):
    """Base of every refusal; `status` is how HTTP says it."""

    status: ClassVar[int] = 400


class NotFound(Refusal):
    status = 404


class NotAllowed(Refusal):
    status = 403


class Conflict(Refusal):
    status = 409


class Unprocessable(Refusal):
    """Bad input a schema could not see; `problems` names each bad part."""

    status = 422

    def problems(self) -> list[dict[str, Any]]:
        return [{"type": "value_error", "loc": ["body"], "msg": str(self)}]


def problem(kind: str, loc: list[str | int], msg: str, value: object = None) -> dict[str, Any]:
    """One entry of a 422's `detail`, shaped like FastAPI's own."""
    entry: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg}
    if value is not None:
        entry["input"] = value
    return entry
