"""Every service app: a body limit, bounded 422 echoes, and docs that work without internet."""

import json
import re

import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from support import Namespace, serve_in_process
from ticketflow_shared.http import service_app
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}
MB = 1024 * 1024


class Probe(BaseModel):
    name: str = Field(max_length=10)
    levels: dict[str, int] = Field(default_factory=dict)
    tags: list[int] = Field(default_factory=list)


def probe_router(calls: list[int]) -> APIRouter:
    router = APIRouter()

    @router.post("/probe")
    async def probe(body: Probe) -> dict[str, str]:
        calls.append(1)
        return {"name": body.name}

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        calls.append(1)
        return {"bytes": len(body)}

    return router


def app_for(namespace: Namespace, calls: list[int], **settings: object):
    runtime = Runtime(namespace.settings(ServiceSettings, "hygiene", **settings), indexes={})
    return service_app(runtime, title="probe", description="", routers=[probe_router(calls)])


async def test_a_body_over_the_setting_is_refused_with_413_and_never_reaches_a_route(
    namespace: Namespace,
):
    calls: list[int] = []
    app = app_for(namespace, calls, http_max_body_bytes=2048)

    async def chunked(size: int):
        for _ in range(size // 256):
            yield b"x" * 256

    async with serve_in_process(app) as http:
        declared = await http.post("/raw", content=b"x" * 2049)
        streamed = await http.post("/raw", content=chunked(8192))
        assert calls == []
        at_limit = await http.post("/raw", content=b"x" * 2048)
        at_limit_chunked = await http.post("/raw", content=chunked(2048))

    assert declared.status_code == 413
    assert declared.json() == {"detail": "request body too large: the limit is 2048 bytes"}
    assert streamed.status_code == 413
    assert "content-length" not in streamed.request.headers
    assert at_limit.json() == {"bytes": 2048}
    assert at_limit_chunked.json() == {"bytes": 2048}


async def test_the_default_limit_is_one_mebibyte(namespace: Namespace):
    calls: list[int] = []
    async with serve_in_process(app_for(namespace, calls)) as http:
        over = await http.post("/probe", content=b"x" * (MB + 1), headers=JSON)
    assert over.status_code == 413
    assert calls == []


async def test_a_422_echoes_only_a_short_prefix_of_what_it_refuses(namespace: Namespace):
    calls: list[int] = []
    app = app_for(namespace, calls, http_max_body_bytes=8 * MB)
    huge_key = "k" * (2 * MB)
    async with serve_in_process(app) as http:
        long_field = await http.post("/probe", json={"name": "n" * (2 * MB)})
        whole_dict = await http.post("/probe", json={f"f{i}": "v" * 100 for i in range(10_000)})
        long_key = await http.post("/probe", json={"name": "ok", "levels": {huge_key: "high"}})
        many_errors = await http.post("/probe", json={"name": "ok", "tags": ["x"] * 10_000})

    assert long_field.status_code == 422
    assert len(long_field.content) < 2048
    [error] = long_field.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert error["input"] == "n" * 64 + f"… ({2 * MB} characters)"
    assert error["ctx"] == {"max_length": 10}

    assert whole_dict.status_code == 422
    assert len(whole_dict.content) < 4096
    [error] = whole_dict.json()["detail"]
    assert error["loc"] == ["body", "name"] and error["type"] == "missing"
    assert len(error["input"]) == 9  # eight of the caller's keys and a count of the rest
    assert error["input"]["…"] == "9992 more keys"

    assert long_key.status_code == 422
    assert len(long_key.content) < 2048
    [error] = long_key.json()["detail"]
    assert error["loc"][:2] == ["body", "levels"]
    assert error["loc"][2].startswith("k" * 64 + "…")

    assert many_errors.status_code == 422
    assert len(many_errors.content) < 8192
    detail = many_errors.json()["detail"]
    assert len(detail) == 21
    assert detail[-1] == {"type": "too_many_errors", "loc": [], "msg": "and 9980 more errors"}
    assert calls == []


URL = re.compile(r"""(?:src|href)="([^"]+)"|url: ?'([^']+)'|spec-url="([^"]+)\"""")


async def test_docs_and_redoc_load_only_assets_the_service_serves_itself(namespace: Namespace):
    async with serve_in_process(app_for(namespace, [])) as http:
        pages = {path: await http.get(path) for path in ("/docs", "/redoc")}
        urls = {
            path: {next(filter(None, m.groups())) for m in URL.finditer(page.text)}
            for path, page in pages.items()
        }
        assets = {url: await http.get(url) for found in urls.values() for url in found}
        schema = (await http.get("/openapi.json")).json()
        redirect = await http.get("/docs/oauth2-redirect")

    for path, page in pages.items():
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "//" not in json.dumps(sorted(urls[path])), urls[path]
    assert "/openapi.json" in urls["/docs"] and "/openapi.json" in urls["/redoc"]
    kinds = {url.rsplit(".", 1)[-1]: answer for url, answer in assets.items()}
    assert set(kinds) == {"js", "css", "png", "json"}
    assert all(answer.status_code == 200 for answer in assets.values())
    assert kinds["js"].headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
    assert kinds["css"].headers["content-type"].startswith("text/css")
    assert kinds["png"].headers["content-type"] == "image/png"
    assert redirect.status_code == 200
    assert not [path for path in schema["paths"] if path.startswith(("/docs", "/redoc"))]
