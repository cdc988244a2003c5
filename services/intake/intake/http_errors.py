"""Domain errors as HTTP answers: 404 unknown, 409 conflict, 422 naming each bad field.

What they echo of the caller's input is bounded, as in every 422 the shared app gives.
"""

from fastapi import Request
from fastapi.responses import JSONResponse

from intake.domain.errors import (
    AlreadyResolved,
    ConcurrentUpdate,
    IdempotencyConflict,
    IntakeError,
    MissingFields,
    TicketNotFound,
    UnknownCategory,
)
from ticketflow_shared.limits import MESSAGE_CHARS, bounded


async def intake_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 bodies keep FastAPI's shape ({detail: [{type, loc, msg}]}) so clients parse one form."""
    if isinstance(exc, MissingFields):
        return _unprocessable(
            [_problem("missing", ["body", "fields", name], str(exc), None) for name in exc.missing]
        )
    if isinstance(exc, UnknownCategory):
        return _unprocessable(
            [_problem("unknown_category", ["body", "category"], str(exc), exc.category)]
        )
    if isinstance(exc, TicketNotFound):
        return _refused(exc, 404)
    if isinstance(exc, AlreadyResolved | IdempotencyConflict | ConcurrentUpdate):
        return _refused(exc, 409)
    assert isinstance(exc, IntakeError)
    return _refused(exc, 400)


def _refused(exc: IntakeError, status_code: int) -> JSONResponse:
    return JSONResponse({"detail": bounded(str(exc), MESSAGE_CHARS)}, status_code=status_code)


def _problem(kind: str, loc: list[str], msg: str, value: object) -> dict[str, object]:
    return {
        "type": kind,
        "loc": [bounded(part) for part in loc],
        "msg": bounded(msg, MESSAGE_CHARS),
        "input": bounded(value),
    }


def _unprocessable(problems: list[dict[str, object]]) -> JSONResponse:
    return JSONResponse({"detail": problems}, status_code=422)
