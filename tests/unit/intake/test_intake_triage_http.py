"""POST /triage/test over HTTP: admins dry-run rules; bad rules are 422s naming the part."""

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_fakes import FakeTickets
from macro_fakes import FakeMacros, macro_app

from credentials import act_as
from ticketflow_shared.access.principal import Principal, Role

RULE = {
    "name": "refunds",
    "when": {"kind": "any_word", "words": ["refund"]},
    "then": {"category": "billing", "tags": ["money"]},
}
TICKET = {"channel": "email", "subject": "Refund please", "body": "charged twice"}


@pytest.fixture
async def app_client() -> AsyncIterator[tuple]:
    app = macro_app(FakeTickets(), FakeMacros())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield app, client


async def test_dry_run_reports_what_fired(app_client):
    _, client = app_client
    reply = await client.post("/triage/test", json={"rules": [RULE], "ticket": TICKET})
    assert reply.status_code == 200
    body = reply.json()
    assert body["category"] == "billing" and body["tags"] == ["money"]
    assert body["fired"] == [{"rule": "refunds", "why": ["text has 'refund'"]}]


@pytest.mark.parametrize(
    ("when", "part"),
    [
        ({"kind": "regex", "pattern": "(a+)+$"}, "nested quantifiers"),
        ({"kind": "contains", "value": "x", "colour": "red"}, "colour"),
    ],
)
async def test_bad_rules_are_422_naming_the_part(app_client, when, part):
    _, client = app_client
    rule = {**RULE, "when": when}
    reply = await client.post("/triage/test", json={"rules": [rule], "ticket": TICKET})
    assert reply.status_code == 422
    assert part in reply.text


async def test_an_empty_time_window_is_a_422_naming_its_end(app_client):
    _, client = app_client
    rule = {**RULE, "when": {"kind": "any", "of": [{"kind": "time", "from_hour": 6, "to_hour": 6}]}}
    reply = await client.post("/triage/test", json={"rules": [rule], "ticket": TICKET})
    assert reply.status_code == 422
    [problem] = reply.json()["detail"]
    assert problem["loc"] == ["body", "rules", 0, "when", "any", "of", 0, "time", "to_hour"]
    assert "an empty window" in problem["msg"]


async def test_only_admins_may_dry_run(app_client):
    app, client = app_client
    act_as(app, Principal(id="agent", kind="user", roles=frozenset({Role.agent})))
    reply = await client.post("/triage/test", json={"rules": [RULE], "ticket": TICKET})
    assert reply.status_code == 403
