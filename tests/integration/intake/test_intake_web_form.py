"""The public web form against the real store and broker: the page and its own assets, what
the categories show a customer, and POST /form/tickets as a hostile client would try it."""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from credentials import admin_headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace

pytestmark = pytest.mark.integration

RETURNS = {
    "label": "Returns and refunds",
    "department": "billing",
    "default_priority": "high",
    "fields": [
        {"name": "order_id", "label": "Order number", "max_length": 20},
        {"name": "reply_to", "label": "Other address", "kind": "email"},
    ],
    "required_by_channel": {"web": ["order_id"]},
    "required_before_solve": ["order_id"],
}
FORM = {
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Broken mug",
    "body": "It arrived in pieces.",
    "category": "returns",
    "fields": {"order_id": "A-1"},
}


@asynccontextmanager
async def clients(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A customer's client (no credentials) and an admin's, on one running app."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as public,
            httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=admin_headers()
            ) as admin,
        ):
            assert (await admin.put("/categories/returns", json=RETURNS)).status_code == 200
            yield public, admin


def intake(namespace: Namespace, **overrides: object) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake", **overrides))


@pytest.fixture
async def public_admin(namespace: Namespace):
    async with clients(intake(namespace)) as pair:
        yield pair


def locations(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


async def submit(public: httpx.AsyncClient, key: str = "k-1", **changes: object):
    return await public.post(
        "/form/tickets", json={**FORM, **changes}, headers={"Idempotency-Key": key}
    )


async def test_the_page_needs_no_key_and_loads_only_what_intake_serves(public_admin):
    public, _ = public_admin
    page = await public.get("/form")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(urls) == ["form/form.css", "form/form.js"]
    script, style = await public.get("/form/form.js"), await public.get("/form/form.css")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    # The script talks to relative paths of this service only.
    assert not re.search(r"""["'](https?:)?//""", script.text)
    assert set(re.findall(r'fetch\("([^"]+)"', script.text)) == {"form/categories", "form/tickets"}


@pytest.mark.parametrize(
    ("method", "slashed", "plain"),
    [
        ("GET", "/form/", "/form"),
        ("GET", "/form/categories/", "/form/categories"),
        ("POST", "/form/tickets/", "/form/tickets"),
        ("GET", "/help/?t=abc", "/help?t=abc"),
        ("POST", "/channels/slack/events/", "/channels/slack/events"),
    ],
)
async def test_an_open_path_with_a_trailing_slash_redirects_to_the_path(
    public_admin, method, slashed, plain
):
    """The page's links are relative to /form, so /form/ is sent there rather than served."""
    public, _ = public_admin
    answer = await public.request(method, slashed)
    assert answer.status_code == 307, answer.text
    assert answer.headers["location"] == plain


async def test_a_protected_path_with_a_trailing_slash_still_needs_credentials(public_admin):
    public, _ = public_admin
    assert (await public.get("/tickets/")).status_code == 401
    assert (await public.get("/form/tickets/x/")).status_code == 401


async def test_categories_show_names_labels_and_fields_and_nothing_internal(public_admin):
    public, _ = public_admin
    listed = (await public.get("/form/categories")).json()
    [returns] = [c for c in listed["data"] if c["name"] == "returns"]
    assert returns == {
        "name": "returns",
        "label": "Returns and refunds",
        "fields": [
            {
                "name": "order_id",
                "label": "Order number",
                "kind": "text",
                "max_length": 20,
                "required": True,
            },
            {
                "name": "reply_to",
                "label": "Other address",
                "kind": "email",
                "max_length": 200,
                "required": False,
            },
        ],
    }
    [billing] = [c for c in listed["data"] if c["name"] == "billing"]
    assert billing["label"] == "billing"
    assert [(f["name"], f["required"]) for f in billing["fields"]] == [("order_id", True)]


@pytest.mark.concurrent
async def test_a_submission_opens_a_web_ticket_once_however_often_it_is_sent(public_admin):
    public, admin = public_admin
    first, second = await asyncio.gather(submit(public, "click-1"), submit(public, "click-1"))
    assert sorted([first.status_code, second.status_code]) == [200, 201], first.text
    assert first.json()["reference"] == second.json()["reference"]
    assert set(first.json()) == {"reference", "category", "joined"}
    assert first.json()["joined"] is False
    ticket = (await admin.get(f"/tickets/{first.json()['reference']}")).json()
    assert (ticket["channel"], ticket["fields"], ticket["priority"], ticket["department"]) == (
        "web",
        {"order_id": "A-1"},
        "high",
        "billing",
    )
    listed = (await admin.get("/tickets", params={"customer_email": "ada@example.com"})).json()
    assert listed["count"] == 1
    changed = await submit(public, "click-1", subject="Another thing")
    assert changed.status_code == 409


async def test_the_same_problem_sent_again_joins_the_open_request_and_says_so(public_admin):
    public, admin = public_admin
    first = await submit(public, "first")
    again = await submit(public, "again", body="It arrived in pieces, the mug is broken.")
    other = await submit(
        public, "other", subject="Wrong invoice address", body="My invoice shows my old address."
    )

    assert (first.status_code, first.json()["joined"]) == (201, False)
    assert (again.status_code, again.json()["joined"]) == (200, True)
    assert again.json()["reference"] == first.json()["reference"]
    assert (other.status_code, other.json()["joined"]) == (201, False)
    assert other.json()["reference"] != first.json()["reference"]
    thread = await admin.get(f"/tickets/{first.json()['reference']}/messages")
    [follow_up] = thread.json()["data"]
    assert "mug is broken" in follow_up["body"] and follow_up["author_kind"] == "customer"


async def test_nothing_the_api_keys_protect_can_be_set(public_admin):
    public, _ = public_admin
    protected = {
        "channel": "api",
        "priority": "urgent",
        "department": "vip",
        "assignee": {"agent_id": "ana"},
        "tags": ["vip"],
        "external_refs": {"crm": "1"},
        "customer_tier": "gold",
    }
    response = await submit(public, **protected)
    assert sorted(locations(response)) == sorted(["body", name] for name in protected)


async def test_unknown_and_missing_fields_are_named_by_the_server(public_admin):
    public, _ = public_admin
    assert locations(await submit(public, fields={"order_id": "1", "vip": True})) == [
        ["body", "fields", "vip"]
    ]
    assert locations(await submit(public, fields={})) == [["body", "fields", "order_id"]]
    bad = await submit(public, fields={"order_id": "1", "reply_to": "nope"})
    assert locations(bad) == [["body", "fields", "reply_to"]]
    assert ["body", "customer", "email"] in locations(
        await submit(public, customer={"email": "not-an-address"})
    )
    assert locations(await submit(public, category="gardening")) == [["body", "category"]]
    no_key = await public.post("/form/tickets", json=FORM)
    assert locations(no_key) == [["header", "idempotency-key"]]


async def test_an_oversized_body_is_refused_before_it_is_read(public_admin):
    public, _ = public_admin
    response = await submit(public, body="x" * (70 * 1024))
    assert response.status_code == 413


async def test_each_address_has_a_budget_and_is_told_when_to_retry(namespace: Namespace):
    app = intake(namespace, web_form_burst=2, web_form_requests_per_minute=1)
    async with clients(app) as (public, _):
        answers = [await public.get("/form/categories") for _ in range(3)]
        refused = await submit(public, "k-limited")
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json() == {"detail": "too many requests from this address"}


async def test_a_field_agents_fill_before_solving_is_neither_shown_nor_taken(public_admin):
    public, admin = public_admin
    rule = {
        **RETURNS,
        "fields": [*RETURNS["fields"], {"name": "refund_ref", "label": "Refund reference"}],
        "required_before_solve": ["order_id", "refund_ref"],
    }
    assert (await admin.put("/categories/returns", json=rule)).status_code == 200
    listed = (await public.get("/form/categories")).json()["data"]
    [returns] = [c for c in listed if c["name"] == "returns"]
    assert [f["name"] for f in returns["fields"]] == ["order_id", "reply_to"]
    sneaked = await submit(public, fields={"order_id": "1", "refund_ref": "R-1"})
    assert locations(sneaked) == [["body", "fields", "refund_ref"]]
