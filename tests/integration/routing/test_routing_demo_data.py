"""deploy/demo_data.py against a routing service on a real port: it adds, it never resets."""

import asyncio
import importlib.util
from pathlib import Path

import httpx
import pytest
from routing_harness import routing_app

from credentials import admin_headers, token
from support import served_on_port

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "demo_data.py"
spec = importlib.util.spec_from_file_location("demo_data", SCRIPT)
assert spec is not None and spec.loader is not None
demo_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_data)
DEMO_IDS = {agent["agent_id"] for agent in demo_data.AGENTS}


async def load(url: str) -> dict[str, str]:
    # The script blocks on urllib; in a thread, so the server in this loop keeps serving.
    return await asyncio.to_thread(demo_data.load, url, token("admin"))


async def test_demo_data_adds_missing_agents_once_and_keeps_an_operators_changes(namespace):
    async with (
        served_on_port(routing_app(namespace)) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as http,
    ):
        # Two runs at once (two `deploy/up`s): every agent is created exactly once.
        first, second = await asyncio.gather(load(url), load(url))
        for agent_id in DEMO_IDS:
            assert sorted([first[agent_id], second[agent_id]]) == ["created", "kept"]
        listed = (await http.get("/agents")).json()
        assert {agent["agent_id"] for agent in listed["data"]} == DEMO_IDS

        changed = await http.patch("/agents/ben", json={"presence": "away", "capacity": 1})
        assert changed.status_code == 200

        assert await load(url) == dict.fromkeys(DEMO_IDS, "kept")

        ben = (await http.get("/agents/ben")).json()
        assert (ben["presence"], ben["capacity"]) == ("away", 1)
        assert ben["version"] == changed.json()["version"]
