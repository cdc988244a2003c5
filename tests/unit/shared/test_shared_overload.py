"""Load shedding: every request answered within its deadline, excess refused at once."""

import asyncio
import contextlib
import time

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ticketflow_shared.overload import LoadShedding, OverloadLimits


async def slow(request):
    await asyncio.sleep(float(request.query_params.get("seconds", "0")))
    return JSONResponse({"ok": True})


async def healthz(request):
    await asyncio.sleep(0.3)
    return JSONResponse({"status": "ok"})


def client(limits: OverloadLimits) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/work", slow), Route("/healthz", healthz)])
    transport = httpx.ASGITransport(app=LoadShedding(app, limits))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_request_past_its_deadline_gets_503_with_retry_after_in_time():
    async with client(OverloadLimits(deadline_seconds=0.2, retry_after_seconds=2)) as http:
        began = time.monotonic()
        response = await http.get("/work", params={"seconds": 5})
        took = time.monotonic() - began
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert "Idempotency-Key" in response.json()["detail"]
    assert took < 0.5


async def test_requests_beyond_the_slots_are_refused_at_once_and_the_rest_served():
    limits = OverloadLimits(max_in_flight=2, queue_seconds=0.05, deadline_seconds=2)
    async with client(limits) as http:
        answers = await asyncio.gather(
            *(http.get("/work", params={"seconds": 0.3}) for _ in range(5))
        )
        after = await http.get("/work")
    assert sorted(r.status_code for r in answers) == [200, 200, 503, 503, 503]
    assert after.status_code == 200  # the slots come back


async def test_health_checks_are_never_shed():
    async with client(OverloadLimits(deadline_seconds=0.1)) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_a_slow_path_pattern_gets_its_own_deadline():
    app = Starlette(routes=[Route("/work", slow), Route("/files/{name}", slow)])
    shedding = LoadShedding(app, OverloadLimits(deadline_seconds=0.1), {r"/files/[^/]+": 1.0})
    transport = httpx.ASGITransport(app=shedding)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        slow_file = await http.get("/files/a", params={"seconds": 0.3})
        other = await http.get("/work", params={"seconds": 0.3})
    assert (slow_file.status_code, other.status_code) == (200, 503)


async def answers_after_swallowing_the_cut(scope, receive, send):
    """A route that catches the cancellation of its deadline and answers all the same, as
    code catching every exception may."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(5)
    await JSONResponse({"late": True})(scope, receive, send)


async def test_an_answer_begun_after_the_cut_is_never_sent_and_the_client_gets_503():
    shedding = LoadShedding(answers_after_swallowing_the_cut, OverloadLimits(deadline_seconds=0.1))
    transport = httpx.ASGITransport(app=shedding)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/work")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


async def test_an_answer_begun_in_time_is_finished_past_the_deadline():
    async def slow_body(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.3)
        await send({"type": "http.response.body", "body": b"whole"})

    transport = httpx.ASGITransport(
        app=LoadShedding(slow_body, OverloadLimits(deadline_seconds=0.1))
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/work")
    assert (response.status_code, response.content) == (200, b"whole")
