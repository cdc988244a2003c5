"""Take, release and assign over HTTP on the real store and broker: who may, why not, and the
events intake applies."""

import pytest
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    QUEUED,
    all_published_so_far,
    created_in,
    new_id,
    publish_all,
    put_agent,
    routing_app,
)

from credentials import headers
from routing import assigning
from routing.adapters.collections import ASSIGNMENTS
from support import serve_in_process

pytestmark = pytest.mark.integration


def as_agent(subject: str, department: str = "billing") -> dict[str, str]:
    return headers("agent", departments=(department,), subject=subject)


LEAD = headers("supervisor", departments=("billing",), subject="billing-lead")
TECH_LEAD = headers("supervisor", departments=("technical",), subject="tech-lead")


async def test_an_agent_takes_a_queued_ticket_and_puts_it_back(namespace, bus_probe):
    ticket_id = new_id("T")
    app = routing_app(namespace, sweep_seconds=30)  # no sweep giving it away meanwhile
    async with serve_in_process(app) as http:
        await put_agent(http, "tak", presence="away")
        await put_agent(http, "oth", presence="away")
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await http.patch("/agents/tak", json={"presence": "available"}, headers=as_agent("tak"))
        # tak was woken and drained the queue: put it back to take it by hand
        await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        back = await http.post(f"/tickets/{ticket_id}/release", headers=as_agent("tak"))
        assert back.status_code == 200 and back.json()["status"] == "queued"
        assert (await http.get("/agents/tak")).json()["active_tickets"] == []
        # The sweep's pass does not hand it straight back to the agent who put it back.
        assert await assigning.retry_queue(app.state.stores, limit=10) == 0
        assert (await http.get(f"/tickets/{ticket_id}")).json()["status"] == "queued"

        taken = await http.post(f"/tickets/{ticket_id}/take", headers=as_agent("tak"))

        assert taken.status_code == 200
        assert (taken.json()["status"], taken.json()["agent_id"]) == ("open", "tak")
        again = await http.post(f"/tickets/{ticket_id}/take", headers=as_agent("oth"))
        assert again.status_code == 409 and "open by tak" in again.json()["detail"]
        other = await http.post(f"/tickets/{ticket_id}/release", headers=as_agent("oth"))
        assert other.status_code == 403
        hidden = await http.post(
            f"/tickets/{ticket_id}/take", headers=as_agent("tec", department="technical")
        )
        assert hidden.status_code == 404
        viewer = headers("viewer", departments=("billing",), subject="v")
        assert (await http.post(f"/tickets/{ticket_id}/take", headers=viewer)).status_code == 403
        held = await app.state.runtime.db[ASSIGNMENTS].count_documents({"ticket_id": ticket_id})
        assert held == 1
    await all_published_so_far(bus_probe)
    assert [e.data["agent_id"] for e in bus_probe.of_type(ASSIGNED, ticket_id)] == ["tak", "tak"]
    assert len(bus_probe.of_type(QUEUED, ticket_id)) == 2
    assert [e.data["active_tickets"] for e in bus_probe.of_type(AGENT_UPDATED, "tak")][-3:] == [
        1,
        0,
        1,
    ]


async def test_taking_names_why_not(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace, sweep_seconds=30)) as http:
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await put_agent(http, "low", skills={"billing": 1}, presence="away")
        await http.put("/routing/rules/billing", json={"min_level": 3})
        cases = {
            "low": "has 'billing' at level 1, the ticket needs 3",
            "nobody": "not an agent routing knows",
        }
        for subject, why in cases.items():
            refused = await http.post(f"/tickets/{ticket_id}/take", headers=as_agent(subject))
            assert refused.status_code == 409 and why in refused.json()["detail"], refused.text
        await put_agent(http, "awa", presence="away")
        refused = await http.post(f"/tickets/{ticket_id}/take", headers=as_agent("awa"))
        assert refused.status_code == 409 and "awa is away" in refused.json()["detail"]


async def test_a_supervisor_reassigns_within_the_department(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(routing_app(namespace)) as http:
        await put_agent(http, "fir", skills={"billing": 9})
        await put_agent(http, "sec")
        await put_agent(http, "tek", department="technical")
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        await bus_probe.wait_for(ASSIGNED, subject=ticket_id)

        url = f"/tickets/{ticket_id}/assign"
        by_agent = await http.post(url, json={"agent_id": "sec"}, headers=as_agent("fir"))
        assert by_agent.status_code == 403
        elsewhere = await http.post(url, json={"agent_id": "sec"}, headers=TECH_LEAD)
        assert elsewhere.status_code == 404
        wrong = await http.post(url, json={"agent_id": "tek"}, headers=LEAD)
        assert wrong.status_code == 409 and "department 'technical'" in wrong.json()["detail"]
        bad = await http.post(url, json={"agent": "sec"}, headers=LEAD)
        assert bad.status_code == 422

        moved = await http.post(url, json={"agent_id": "sec"}, headers=LEAD)

        assert moved.status_code == 200 and moved.json()["agent_id"] == "sec"
        assert (await http.get("/agents/fir")).json()["active_tickets"] == []
        assert (await http.get("/agents/sec")).json()["active_tickets"] == [ticket_id]
        full = await http.post(url, json={"agent_id": "fir"}, headers=LEAD)
        assert full.status_code == 200
        again = await http.post(url, json={"agent_id": "fir"}, headers=LEAD)
        assert again.status_code == 409 and "holds ticket" in again.json()["detail"]
    events = await bus_probe.wait_for(ASSIGNED, subject=ticket_id, count=3)
    assert [e.data["agent_id"] for e in events] == ["fir", "sec", "fir"]
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)
