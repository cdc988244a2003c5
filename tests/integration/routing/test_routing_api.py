"""The HTTP API over the real store: agents, rules, errors, and the agent.updated events."""

import pytest
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    all_published_so_far,
    created,
    new_id,
    routing_app,
)

from routing.adapters.collections import AGENTS
from support import serve_in_process

pytestmark = pytest.mark.integration


def bad_fields(response) -> set[str]:
    return {str(error["loc"][-1]) for error in response.json()["detail"]}


async def test_agent_lifecycle_and_its_events(namespace, bus_probe):
    async with serve_in_process(routing_app(namespace)) as http:
        body = {"name": " Ana ", "department": "billing", "skills": {"Billing": 9, "Tier 2": 3}}
        created = await http.post("/agents", json=body)
        assert created.status_code == 201
        agent = created.json()
        assert agent["agent_id"].startswith("agt_")
        assert (agent["name"], agent["skills"]) == ("Ana", {"billing": 9, "tier_2": 3})
        assert (agent["capacity"], agent["presence"], agent["free_slots"]) == (1, "available", 1)
        agent_id = agent["agent_id"]

        patched = await http.patch(f"/agents/{agent_id}", json={"capacity": 4, "presence": "away"})
        assert patched.status_code == 200
        assert (patched.json()["capacity"], patched.json()["presence"]) == (4, "away")
        unchanged = await http.patch(f"/agents/{agent_id}", json={"capacity": 4})
        assert unchanged.json()["version"] == patched.json()["version"]

        listed = (await http.get("/agents", params={"presence": "away"})).json()
        assert [a["agent_id"] for a in listed["data"]] == [agent_id] and listed["count"] == 1
        by_skill = (await http.get("/agents", params={"skill": "Tier 2"})).json()
        assert by_skill["count"] == 1
        assert (await http.get("/agents", params={"skill": "shipping"})).json()["count"] == 0

        events = await bus_probe.wait_for(AGENT_UPDATED, subject=agent_id, count=2)
        assert [e.data["presence"] for e in events] == ["available", "away"]
        assert events[1].data["capacity"] == 4 and events[1].data["active_tickets"] == 0


async def test_put_upserts_and_repeating_it_changes_nothing(namespace, bus_probe):
    body = {"agent_id": "ben", "name": "Ben", "skills": {"billing": 5}, "capacity": 2}
    async with serve_in_process(routing_app(namespace)) as http:
        assert (await http.put("/agents/ben", json=body)).status_code == 201
        again = await http.put("/agents/ben", json=body)
        assert again.status_code == 200 and again.json()["version"] == 0
        changed = await http.put("/agents/ben", json={**body, "capacity": 3})
        assert changed.status_code == 200 and changed.json()["capacity"] == 3
        mismatch = await http.put("/agents/ben", json={**body, "agent_id": "other"})
        assert mismatch.status_code == 422 and bad_fields(mismatch) == {"agent_id"}
    await all_published_so_far(bus_probe)
    assert [e.data["capacity"] for e in bus_probe.of_type(AGENT_UPDATED, "ben")] == [2, 3]


async def test_skills_changed_to_other_names_with_the_same_levels_are_stored(namespace, bus_probe):
    """Same levels in the same order under other names: FerretDB 1.24 takes a whole-map $set
    of such a map for "unchanged" and keeps the old one."""
    app = routing_app(namespace)
    async with serve_in_process(app) as http:
        body = {"name": "Kim", "skills": {"yy": 3}, "capacity": 2}
        assert (await http.put("/agents/kim", json=body)).status_code == 201

        put = await http.put("/agents/kim", json={**body, "skills": {"ww": 3}})
        assert (put.status_code, put.json()["skills"]) == (200, {"ww": 3})
        assert (await http.get("/agents/kim")).json()["skills"] == {"ww": 3}

        patched = await http.patch("/agents/kim", json={"skills": {"billing": 3}})
        assert patched.json()["skills"] == {"billing": 3}
        swapped = await http.patch("/agents/kim", json={"skills": {"uu": 3, "billing": 3}})
        assert swapped.json()["skills"] == {"uu": 3, "billing": 3}
        renamed = await http.patch("/agents/kim", json={"skills": {"uu": 3, "vv": 3}})
        assert renamed.json()["version"] == 4
        assert (await http.get("/agents/kim")).json()["skills"] == {"uu": 3, "vv": 3}
        stored = await app.state.runtime.db[AGENTS].find_one({"_id": "kim"})
        assert stored["skills"] == {"uu": 3, "vv": 3}

        assert (await http.get("/agents", params={"skill": "yy"})).json()["count"] == 0
        ticket_id = new_id("T")
        await bus_probe.publish(created(ticket_id, category="vv"))
        [assigned] = await bus_probe.wait_for(ASSIGNED, subject=ticket_id)
        assert assigned.data["agent_id"] == "kim"


async def test_bad_input_names_the_fields_and_unknown_ids_are_404(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        bad = {"name": "", "skills": {"billing": 11, "...": 2}, "capacity": -1, "presence": "gone"}
        response = await http.post("/agents", json=bad)
        assert response.status_code == 422
        assert {"name", "capacity", "presence", "billing"} <= bad_fields(response)
        nulls = await http.patch("/agents/x", json={"name": None})
        assert nulls.status_code == 422
        extra = await http.patch("/agents/x", json={"salary": 1})
        assert extra.status_code == 422 and bad_fields(extra) == {"salary"}
        assert (await http.put("/agents/bad id!", json={"name": "X"})).status_code == 422
        assert (await http.get("/agents/nobody")).status_code == 404
        assert (await http.patch("/agents/nobody", json={"capacity": 2})).status_code == 404
        assert (await http.get("/tickets/nothing")).status_code == 404
        await http.post("/agents", json={"agent_id": "dup", "name": "Dup"})
        conflict = await http.post("/agents", json={"agent_id": "dup", "name": "Dup"})
        assert conflict.status_code == 409
        level = await http.put("/routing/rules/vip", json={"min_level": 0})
        assert level.status_code == 422 and bad_fields(level) == {"min_level"}


@pytest.mark.parametrize("path", ["/agents", "/queue"])
async def test_a_skill_filter_without_a_letter_or_digit_is_refused(namespace, path):
    async with serve_in_process(routing_app(namespace)) as http:
        for raw in ("!", "-", "$", ""):
            response = await http.get(path, params={"skill": raw})
            assert response.status_code == 422, (raw, response.text)
            [error] = response.json()["detail"]
            assert error["loc"] == ["query", "skill"]
        assert (await http.get(path, params={"skill": " Billing "})).json()["count"] == 0


async def test_routing_rules_default_to_the_category_and_are_stored(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        default = (await http.get("/routing/rules/Billing")).json()
        assert default == {
            "category": "billing",
            "skill": "billing",
            "min_level": 1,
            "is_default": True,
        }
        stored = await http.put("/routing/rules/vip", json={"skill": "Billing", "min_level": 7})
        assert stored.json() == {
            "category": "vip",
            "skill": "billing",
            "min_level": 7,
            "is_default": False,
        }
        await http.put("/routing/rules/refunds", json={"min_level": 3})
        rules = (await http.get("/routing/rules")).json()
        assert rules["count"] == 2
        assert [(r["category"], r["skill"], r["min_level"]) for r in rules["data"]] == [
            ("refunds", "refunds", 3),
            ("vip", "billing", 7),
        ]


async def test_a_presence_keeps_its_reason_until_the_presence_changes(namespace, bus_probe):
    async with serve_in_process(routing_app(namespace)) as http:
        agent_id = (await http.post("/agents", json={"name": "Lu"})).json()["agent_id"]
        away = {"presence": "away", "presence_reason": " lunch "}
        patched = await http.patch(f"/agents/{agent_id}", json=away)
        assert (patched.json()["presence"], patched.json()["presence_reason"]) == ("away", "lunch")
        stored = (await http.get(f"/agents/{agent_id}")).json()
        assert stored["presence_reason"] == "lunch"
        await bus_probe.wait_for(AGENT_UPDATED, subject=agent_id, count=2)
        reasons = [e.data["presence_reason"] for e in bus_probe.of_type(AGENT_UPDATED, agent_id)]
        assert reasons[-1] == "lunch"

        same = await http.patch(f"/agents/{agent_id}", json={"capacity": 2})
        assert same.json()["presence_reason"] == "lunch"
        back = await http.patch(f"/agents/{agent_id}", json={"presence": "available"})
        assert (back.json()["presence"], back.json()["presence_reason"]) == ("available", None)

        too_long = await http.patch(f"/agents/{agent_id}", json={"presence_reason": "x" * 201})
        assert too_long.status_code == 422
        assert bad_fields(too_long) == {"presence_reason"}
