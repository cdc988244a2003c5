"""SLA policies and a ticket's clocks over HTTP, on the real store and bus."""

from datetime import UTC, datetime

import pytest
from routing_harness import new_id, publish_all, routing_app

from credentials import headers
from factories import created_envelope
from support import serve_in_process

pytestmark = pytest.mark.integration

SUPERVISOR = headers("supervisor", departments=("billing",), subject="billing-lead")
BILLING_AGENT = headers("agent", departments=("billing",), subject="ana")
TECH_AGENT = headers("agent", departments=("technical",), subject="carla")
OFFICE = {
    "mode": "business_hours",
    "timezone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "country": "DE",
}


async def test_policies_are_versioned_validated_and_admin_only(namespace):
    body = {"targets": {"high": {"first_response": 3600}}, "calendar": OFFICE}
    async with serve_in_process(routing_app(namespace)) as http:
        first = await http.put("/sla/policies/standard", json=body)
        assert first.status_code == 200 and first.json()["version"] == 1
        assert first.json()["pause_on"] == ["pending"] and first.json()["warn_at"] == 0.75
        changed = await http.put("/sla/policies/standard", json={**body, "rank": 2})
        assert changed.json()["version"] == 2
        read = await http.get("/sla/policies/standard", headers=SUPERVISOR)
        assert read.status_code == 200 and read.json()["calendar"]["country"] == "DE"
        assert (await http.get("/sla/policies", headers=SUPERVISOR)).json()["count"] == 1
        refused = await http.put("/sla/policies/x", json=body, headers=SUPERVISOR)
        assert refused.status_code == 403
        bad_zone = {**body, "calendar": {**OFFICE, "timezone": "Mars/Olympus"}}
        wrong = await http.put("/sla/policies/x", json=bad_zone)
        assert wrong.status_code == 422 and "Mars/Olympus" in wrong.text
        no_target = await http.put("/sla/policies/x", json={"targets": {"high": {"x": 1}}})
        assert no_target.status_code == 422
        assert (await http.delete("/sla/policies/standard")).status_code == 204
        assert (await http.get("/sla/policies/standard")).status_code == 404


async def test_a_ticket_shows_its_clocks_and_breaches_once(namespace, bus_probe):
    body = {
        "targets": {"normal": {"first_response": 1, "resolution": 3600}},
        "on_breach": ["page_supervisor"],
    }
    ticket_id = new_id("TF")
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.put("/sla/policies/fast", json=body)).status_code == 200
        now = datetime.now(UTC)
        event = created_envelope(ticket_id, created_at=now, department="billing", sequence=1)
        await publish_all(namespace, bus_probe, event)
        shown = await http.get(f"/tickets/{ticket_id}/sla", headers=BILLING_AGENT)
        assert shown.status_code == 200
        clocks = {c["target"]: c for c in shown.json()["clocks"]}
        assert shown.json()["policy_version"] == 1
        assert clocks["resolution"]["state"] == "running" and not clocks["resolution"]["paused"]
        assert clocks["resolution"]["target_seconds"] == 3600
        hidden = await http.get(f"/tickets/{ticket_id}/sla", headers=TECH_AGENT)
        assert hidden.status_code == 404
        [breach] = await bus_probe.wait_for("sla.breached.v1", subject=ticket_id)
        assert breach.data["target"] == "first_response"
        [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=ticket_id)
        assert escalated.data["trigger"] == "sla" and escalated.data["page_supervisor"]
        after = (await http.get(f"/tickets/{ticket_id}/sla")).json()
        first = next(c for c in after["clocks"] if c["target"] == "first_response")
        assert first["breached"] and first["warning_sent"] and first["state"] == "breached"
