"""Agents' shifts and languages over the API: off shift an agent gets nothing, and coming on
shift drains the backlog."""

from datetime import UTC, datetime, timedelta

import pytest
from routing_harness import (
    ASSIGNED,
    QUEUED,
    created_in,
    new_id,
    publish_all,
    put_agent,
    routing_app,
)

from credentials import headers
from support import serve_in_process

pytestmark = pytest.mark.integration

ALL_DAY = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def closed_around_now() -> list[str]:
    today = datetime.now(UTC).date()
    return [(today + timedelta(days=offset)).isoformat() for offset in (-1, 0, 1)]


async def test_off_shift_gets_nothing_and_coming_on_shift_drains_the_backlog(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "night")
        off = {"timezone": "Asia/Shanghai", "hours": ALL_DAY, "closed_dates": closed_around_now()}
        response = await http.put("/agents/night/shift", json=off)
        assert response.status_code == 200, response.text
        assert response.json()["on_shift"] is False

        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await bus_probe.wait_for(QUEUED, subject=ticket_id)
        assert not bus_probe.of_type(ASSIGNED, ticket_id)
        decision = (await http.get(f"/tickets/{ticket_id}/routing")).json()
        assert "off_shift" in str(decision)

        on = {"timezone": "Asia/Shanghai", "hours": ALL_DAY, "country": "CN"}
        response = await http.put("/agents/night/shift", json=on)
        assert response.json()["on_shift"] is True
        [assigned] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        assert assigned.data["agent_id"] == "night"
        shift = (await http.get("/agents/night/shift")).json()
        assert (shift["shift"]["timezone"], shift["shift"]["country"]) == ("Asia/Shanghai", "CN")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"timezone": "Mars/Olympus", "hours": ALL_DAY}, "time zone"),
        ({"hours": {"mon": ["9-5"]}}, "HH:MM-HH:MM"),
        ({"hours": {}}, "at least one day"),
        ({"hours": {"funday": ["09:00-10:00"]}}, "funday"),
        ({"hours": ALL_DAY, "country": "XX"}, "holidays"),
        ({"hours": ALL_DAY, "extra": 1}, "extra"),
    ],
)
async def test_a_shift_that_cannot_work_is_refused_naming_why(namespace, body, says):
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "ana")
        response = await http.put("/agents/ana/shift", json=body)
        assert response.status_code == 422
        assert says in response.text


async def test_languages_and_who_may_set_them(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "ana")
        response = await http.put("/agents/ana/languages", json={"languages": ["ZH", "en", "en"]})
        assert response.json() == {"agent_id": "ana", "languages": ["en", "zh"]}
        assert (await http.get("/agents/ana/languages")).json()["languages"] == ["en", "zh"]
        bad = await http.put("/agents/ana/languages", json={"languages": ["english!"]})
        assert bad.status_code == 422

        herself = headers("agent", departments=("billing",), subject="ana")
        other_lead = headers("supervisor", departments=("technical",), subject="tech-lead")
        body = {"hours": ALL_DAY}
        assert (await http.put("/agents/ana/shift", json=body, headers=herself)).status_code == 403
        denied = await http.put("/agents/ana/shift", json=body, headers=other_lead)
        assert denied.status_code == 404  # another department's agent is as unknown
        assert (await http.delete("/agents/ana/shift")).json()["on_shift"] is True


async def test_queue_stats_show_the_waiting_ticket_and_who_could_take_it(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "busy", presence="away")
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await bus_probe.wait_for(QUEUED, subject=ticket_id)

        stats = (await http.get("/queue/stats/billing")).json()
        assert (stats["waiting"], stats["oldest_ticket_id"]) == (1, ticket_id)
        assert (stats["eligible_agents"], stats["available_agents"]) == (1, 0)
        listed = (await http.get("/queue/stats")).json()
        assert "billing" in [row["department"] for row in listed["data"]]
        other = headers("supervisor", departments=("technical",), subject="tech-lead")
        assert (await http.get("/queue/stats/billing", headers=other)).status_code == 404


async def test_a_shift_that_starts_later_drains_the_backlog_when_it_starts(namespace, bus_probe):
    """No API call at the start: the stored shift-start timer gives the queued ticket."""
    now = datetime.now(UTC)
    start = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[start.weekday()]
    later_today = {"timezone": "UTC", "hours": {day: [f"{start:%H:%M}-24:00"]}}
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "late")
        response = await http.put("/agents/late/shift", json=later_today)
        assert response.json()["on_shift"] is False
        assert response.json()["changes_at"].startswith(start.strftime("%Y-%m-%dT%H:%M"))

        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await bus_probe.wait_for(QUEUED, subject=ticket_id)
        assert not bus_probe.of_type(ASSIGNED, ticket_id)
        [assigned] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id, timeout=75)
        assert assigned.data["agent_id"] == "late"
        assert datetime.fromisoformat(assigned.data["assigned_at"]) >= start
