"""Escalation steps end to end: a ticket nobody can take waits in its queue; after a few
seconds its policy's step lowers the level it needs, raises its priority and pages the
supervisor: an agent of the lower level gets it, ticket.escalated.v1 goes out once, intake
shows the raised priority and routing shows the step on the ticket."""

import asyncio

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import Platform
from journey import eventually, post_ticket, put_agent, ticket, unique_email

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
ESCALATED, ASSIGNED = "ticket.escalated.v1", "ticket.assigned.v1"
CATEGORY = DEPARTMENT = "warranty"  # its own: no other test's agents or settings reach it
STEP = {"after_seconds": 3, "lower_levels_by": 3, "raise_priority": "urgent"}
POLICY = {"required": {"warranty": 6}, "steps": [{**STEP, "page_supervisor": True}]}


async def test_a_waiting_ticket_escalates_and_goes_to_a_lower_level_agent(
    platform: Platform, bus_probe
) -> None:
    intake, routing = platform.url("intake"), platform.url("routing")
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        rule = {"department": DEPARTMENT, "default_priority": "normal"}
        assert (await http.put(f"{intake}/categories/{CATEGORY}", json=rule)).status_code == 200
        put = await http.put(f"{routing}/queue-policies/{DEPARTMENT}", json=POLICY)
        assert put.status_code == 200, put.text
        await put_agent(http, platform, "wanda", department=DEPARTMENT, skills={"warranty": 3})
        ticket_id = (await post_ticket(http, platform, CATEGORY, unique_email()))["id"]
        [queued] = await bus_probe.wait_for("ticket.queued.v1", subject=ticket_id)

        [escalated] = await bus_probe.wait_for(ESCALATED, subject=ticket_id, timeout=20)
        assert escalated.data["trigger"] == "wait" and escalated.data["source"] == "routing"
        assert escalated.data["page_supervisor"] and escalated.data["priority"] == "urgent"
        [assigned] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id, timeout=20)
        assert assigned.data["agent_id"] == "wanda"

        async def urgent_in_intake() -> dict | None:
            current = await ticket(http, platform, ticket_id)
            return current if current["priority"] == "urgent" else None

        await eventually(urgent_in_intake, what="the raised priority in intake")
        shown = await http.get(f"{routing}/tickets/{ticket_id}/escalations")
        assert shown.status_code == 200, shown.text
        [step] = shown.json()["data"]
        assert step["actions"] == ["lower_levels_by:3", "raise_priority:urgent", "page_supervisor"]
        waited = escalated.time - queued.time
        assert waited.total_seconds() >= STEP["after_seconds"] - 0.1
        await asyncio.sleep(2)
        assert len({e.id for e in bus_probe.of_type(ESCALATED, ticket_id)}) == 1
        assert (await http.delete(f"{routing}/queue-policies/{DEPARTMENT}")).status_code == 204
