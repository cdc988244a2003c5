"""SLA breaches end to end: on time, and exactly once across a kill -9 of routing."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import Platform
from journey import post_ticket, unique_email
from support import BusProbe

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BREACHED = "sla.breached.v1"
POLICY = {"targets": {"high": {"first_response": 20, "resolution": 3600}}}


async def test_a_breach_arrives_within_a_second_once_though_routing_was_killed(
    platform: Platform, bus_probe: BusProbe
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        put = await http.put(f"{platform.url('routing')}/sla/policies/fast", json=POLICY)
        assert put.status_code == 200, put.text
        ticket = await post_ticket(http, platform, "billing", unique_email())  # high by default
        await bus_probe.wait_for("ticket.queued.v1", subject=ticket["id"])
        platform.kill("routing")  # the breach timer is armed and stored, not due yet
        platform.start("routing")
        await platform.wait_ready("routing")
        ready = datetime.now(UTC)
        [breach] = await bus_probe.wait_for(BREACHED, subject=ticket["id"], timeout=30)
        received = datetime.now(UTC)
        due = datetime.fromisoformat(breach.data["due_at"])
        assert breach.data["target"] == "first_response"
        assert ready < due, "routing took longer to restart than the target: nothing measured"
        assert (received - due).total_seconds() < 1.0
        await asyncio.sleep(3)
        assert len({e.id for e in bus_probe.of_type(BREACHED, ticket["id"])}) == 1
        shown = await http.get(f"{platform.url('routing')}/tickets/{ticket['id']}/sla")
        first = next(c for c in shown.json()["clocks"] if c["target"] == "first_response")
        assert first["breached"] and first["state"] == "breached"
