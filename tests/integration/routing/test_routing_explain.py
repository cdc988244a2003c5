"""Routing under a queue policy on the real servers, and the decision it explains."""

import pytest
from routing_harness import created_in, eventually, new_id, publish_all, put_agent, routing_app

from credentials import headers
from support import serve_in_process

pytestmark = pytest.mark.integration

POLICY = {"required": {"billing": 6, "refunds": 2}, "fairness_cap": 3}


async def test_the_policy_picks_the_agent_and_the_decision_says_why(namespace, bus_probe):
    ticket_id = new_id("TF-POL")
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.put("/queue-policies/billing", json=POLICY)).status_code == 200
        await put_agent(http, "ana", skills={"billing": 9, "refunds": 3}, capacity=2)
        await put_agent(http, "ben", skills={"billing": 10}, capacity=2)
        await put_agent(http, "cy", skills={"billing": 8, "refunds": 5}, capacity=0)
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))

        async def decided():
            response = await http.get(f"/tickets/{ticket_id}/routing")
            return response.json() if response.status_code == 200 else None

        decision = await eventually(decided)
        assert (decision["policy"], decision["policy_version"]) == ("billing", 1)
        assert decision["requirements"]["required"] == {"billing": 6, "refunds": 2}
        assert decision["chosen"] == {
            "agent_id": "ana",
            "keys": {"level": 12, "load": 0, "idle": None},
        }
        assert decision["outcome"] == "assigned to ana"
        reasons = {c["agent_id"]: c["reasons"] for c in decision["candidates"]}
        assert reasons == {"ana": [], "ben": ["skill_missing"]}  # cy has no room: not fetched
        assert decision["counts"] == {"eligible": 1, "skill_missing": 1}
        ticket = (await http.get(f"/tickets/{ticket_id}")).json()
        assert ticket["agent_id"] == "ana"

        tech = headers("agent", departments=("technical",), subject="tech-agent")
        hidden = await http.get(f"/tickets/{ticket_id}/routing", headers=tech)
        assert hidden.status_code == 404


async def test_nobody_eligible_is_explained_as_queued(namespace, bus_probe):
    ticket_id = new_id("TF-POLQ")
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.put("/queue-policies/billing", json=POLICY)).status_code == 200
        await put_agent(http, "ben", skills={"billing": 10}, capacity=2)
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        decision = (await http.get(f"/tickets/{ticket_id}/routing")).json()
        assert decision["outcome"] == "queued: nobody eligible"
        assert decision["chosen"] is None
        assert decision["candidates"] == [
            {"agent_id": "ben", "reasons": ["skill_missing"], "keys": {}}
        ]
