"""Domain errors as HTTP answers: 404 unknown, 409 conflict, 422 naming each bad field."""

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
        return JSONResponse({"detail": str(exc)}, status_code=404)
    if isinstance(exc, AlreadyResolved | IdempotencyConflict | ConcurrentUpdate):
        return JSONResponse({"detail": str(exc)}, status_code=409)
    assert isinstance(exc, IntakeError)
    return JSONResponse({"detail": str(exc)}, status_code=400)


def _problem(kind: str, loc: list[str], msg: str, value: object) -> dict[str, object]:
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


def _unprocessable(problems: list[dict[str, object]]) -> JSONResponse:
    return JSONResponse({"detail": problems}, status_code=422)
