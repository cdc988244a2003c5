"""Nobody in without credentials: every route of every service's OpenAPI answers 401, so a
route added later without protection fails here."""

import httpx
import pytest

from access_platform import SERVICES, build, concrete
from credentials import headers
from intake.chat_api import SLACK_EVENTS_PATH
from intake.self_service_api import OPEN_PATHS as SELF_SERVICE_PATHS
from intake.web_form import OPEN_PATHS as WEB_FORM_PATHS

pytestmark = pytest.mark.integration

# Open by design: the customers' web form (rate-limited per address instead), Slack's
# callback (checked by its request signature) and the self-service links (the signed link
# is the credential), each in its own tests.
OPEN = {"/healthz", "/readyz", SLACK_EVENTS_PATH, *WEB_FORM_PATHS, *SELF_SERVICE_PATHS}


def operations(app) -> list[tuple[str, str]]:
    schema = app.openapi()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if path not in OPEN
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_refuses_a_caller_without_valid_credentials(namespace, service):
    # No lifespan: the refusal comes before any route, store or bus is involved.
    app = build(namespace, service)
    found = operations(app)
    assert len(found) >= 5
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for method, path in found:
            url = concrete(path)
            if service == "reporting" and path == "/":
                # The dashboard is a browser page: without credentials it sends to sign-in.
                page = await http.request(method, url)
                assert (page.status_code, page.headers["location"]) == (303, "/login")
                continue
            bare = await http.request(method, url)
            assert bare.status_code == 401, (method, path, bare.text)
            assert bare.headers["www-authenticate"].startswith("Bearer"), (method, path)
            forged = await http.request(
                method, url, headers={"Authorization": "Bearer not.a.token"}
            )
            assert forged.status_code == 401, (method, path)
            assert 'error="invalid_token"' in forged.headers["www-authenticate"]
            unknown_key = await http.request(method, url, headers={"X-API-Key": "tfk_nope"})
            assert unknown_key.status_code == 401, (method, path)


@pytest.mark.parametrize("service", SERVICES)
async def test_health_checks_and_docs_stay_open(namespace, service):
    app = build(namespace, service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/openapi.json")).status_code == 200
        assert (await http.get("/docs")).status_code == 200


async def test_an_expired_token_and_a_foreign_signature_are_refused(namespace):
    import jwt

    from credentials import TEST_JWT_SECRET

    app = build(namespace, "intake")
    expired = jwt.encode(
        {"sub": "a", "roles": ["admin"], "iss": "ticketflow-local", "aud": "ticketflow", "exp": 1},
        TEST_JWT_SECRET,
        algorithm="HS256",
    )
    foreign = headers("admin")["Authorization"][:-4] + "AAAA"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for value in (f"Bearer {expired}", foreign, "Basic YWRtaW46YWRtaW4="):
            answer = await http.get("/categories", headers={"Authorization": value})
            assert answer.status_code == 401, value
