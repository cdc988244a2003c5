"""Request bodies over the limit are refused with 413 before the app parses them."""

import httpx
from fastapi import FastAPI

from ticketflow_shared.limits import BodySizeLimit, bounded

LIMIT = 1000


def client(calls: list[int]) -> httpx.AsyncClient:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, str]) -> dict[str, int]:
        calls.append(1)
        return {"keys": len(body)}

    transport = httpx.ASGITransport(app=BodySizeLimit(app, max_bytes=LIMIT))
    json_body = {"content-type": "application/json"}
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=json_body)


def body_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    return b'{"a": "' + b"x" * (size - 9) + b'"}'


def chunks(body: bytes, size: int, sent: list[int]):
    async def stream():
        for start in range(0, len(body), size):
            sent.append(1)
            yield body[start : start + size]

    return stream()


async def test_a_content_length_over_the_limit_is_refused_before_the_app_runs():
    calls: list[int] = []
    async with client(calls) as http:
        response = await http.post("/echo", content=body_of(LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body too large: the limit is {LIMIT} bytes"}
    assert calls == []


async def test_a_chunked_body_is_cut_as_soon_as_it_passes_the_limit():
    calls: list[int] = []
    sent: list[int] = []
    body = body_of(20 * LIMIT)
    async with client(calls) as http:
        response = await http.post("/echo", content=chunks(body, 100, sent))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert str(LIMIT) in response.json()["detail"]
    assert calls == []
    assert len(sent) <= LIMIT // 100 + 1  # the rest of the body was never read


async def test_a_body_at_the_limit_is_served_with_a_length_or_chunked():
    calls: list[int] = []
    async with client(calls) as http:
        with_length = await http.post("/echo", content=body_of(LIMIT))
        chunked = await http.post("/echo", content=chunks(body_of(LIMIT), 100, []))
    assert with_length.status_code == 200
    assert chunked.status_code == 200
    assert calls == [1, 1]


def test_bounded_cuts_long_strings_many_items_and_deep_nesting():
    assert bounded("short") == "short"
    assert bounded("x" * 100) == "x" * 64 + "… (100 characters)"
    assert bounded(list(range(10))) == [0, 1, 2, 3, 4, 5, 6, 7, "… 2 more items"]
    big = bounded({f"k{i}": i for i in range(10)})
    assert big == {**{f"k{i}": i for i in range(8)}, "…": "2 more keys"}
    assert bounded({"y" * 100: 1}) == {"y" * 64 + "… (100 characters)": 1}
    assert bounded([[[[["deep"]]]]]) == [[[["… (list of 1 items)"]]]]


async def test_a_path_of_its_own_takes_a_larger_body():
    app = FastAPI()

    @app.post("/mail")
    async def mail(body: dict[str, str]) -> dict[str, int]:
        return {"keys": len(body)}

    limited = BodySizeLimit(app, max_bytes=LIMIT, path_limits={"/mail": LIMIT * 3})
    transport = httpx.ASGITransport(app=limited)
    json_body = {"content-type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=json_body) as h:
        taken = await h.post("/mail", content=body_of(LIMIT * 2))
        refused = await h.post("/mail", content=body_of(LIMIT * 3 + 1))
    assert taken.status_code == 200
    assert refused.status_code == 413
    assert refused.json()["detail"] == f"request body too large: the limit is {LIMIT * 3} bytes"
