"""Intake's refusals, answered the shared way, echo only a short prefix of the input."""

import json

from starlette.requests import Request

from intake.domain.errors import IdempotencyConflict, MissingFields, UnknownCategory
from ticketflow_shared.http import refusal_handler

REQUEST = Request({"type": "http", "headers": []})
HUGE = "g" * 100_000


async def answer(exc: Exception) -> tuple[int, dict]:
    response = await refusal_handler(REQUEST, exc)
    assert len(response.body) < 2048
    return response.status_code, json.loads(response.body)


async def test_an_unknown_category_is_echoed_as_a_prefix():
    status, body = await answer(UnknownCategory(HUGE))
    [problem] = body["detail"]
    assert status == 422
    assert problem["loc"] == ["body", "category"]
    assert problem["input"] == "g" * 64 + "… (100000 characters)"
    assert problem["msg"].startswith("unknown category 'ggg")


async def test_missing_field_names_and_conflict_messages_are_bounded():
    status, body = await answer(MissingFields(HUGE, [HUGE]))
    assert status == 422
    assert body["detail"][0]["loc"][2].startswith("g" * 64 + "…")
    status, body = await answer(IdempotencyConflict(HUGE, "TF-1"))
    assert status == 409
    assert body["detail"].startswith("Idempotency-Key 'ggg")
