"""Reporting's HTTP surface over in-memory read models: bad input is a 4xx, never a 500."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from reporting_builders import created
from reporting_fakes import FakeAgentProfiles, FakeTicketRows

from credentials import act_as
from reporting import handlers
from reporting.bootstrap import install_api
from reporting.handlers import ReadModels
from reporting.settings import ReportingSettings

PAGES_TAKING_SINCE = ["/reports/summary", "/"]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    tickets, agents = FakeTicketRows(), FakeAgentProfiles()
    envelope = created("T-1")  # created at 2025-03-03T09:00:00Z
    await handlers.project_event(envelope, envelope.payload(), tickets=tickets, agents=agents)
    app = FastAPI()
    install_api(app, ReadModels(tickets, agents), ReportingSettings())
    act_as(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.mark.parametrize("path", PAGES_TAKING_SINCE)
@pytest.mark.parametrize(
    "since",
    ["0001-01-01T00:00:00+01:00", "0001-01-01T00:59:59+01:00", "9999-12-31T23:59:59-01:00"],
)
async def test_a_since_outside_the_utc_calendar_is_422(client, path, since):
    response = await client.get(path, params={"since": since})

    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["query", "since"], "datetime_out_of_range")
    assert "UTC" in problem["msg"]


@pytest.mark.parametrize("path", PAGES_TAKING_SINCE)
@pytest.mark.parametrize("since", ["0001-01-01T01:00:00+01:00", "9999-12-31T22:59:59-01:00"])
async def test_a_since_at_the_ends_of_the_utc_calendar_is_answered(client, path, since):
    response = await client.get(path, params={"since": since})
    assert response.status_code == 200, response.text


async def test_a_since_with_an_offset_is_reported_in_utc(client):
    summary = await client.get("/reports/summary", params={"since": "2025-03-03T10:00:00+01:00"})

    assert summary.status_code == 200, summary.text
    assert summary.json()["since"] == "2025-03-03T09:00:00Z"
    assert summary.json()["total_tickets"] == 1


async def test_the_dashboard_shows_the_since_it_was_given(client):
    page = await client.get("/", params={"since": "2025-03-03T10:00:00+01:00"})

    assert page.status_code == 200, page.text
    assert "tickets created since 2025-03-03T09:00:00+00:00" in page.text
