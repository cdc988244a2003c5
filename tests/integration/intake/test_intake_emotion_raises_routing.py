"""An angry customer message on the real servers: intake raises the ticket one step and
publishes ticket.escalated.v1 once; routing, consuming it, raises the queued ticket too."""

import asyncio

import pytest
from macro_helpers import intake_app, stored
from triage_helpers import create, ticket

from routing.bootstrap import create_app as routing_create_app
from routing.settings import RoutingSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

ANGRY = "This is UNACCEPTABLE. The worst support I have ever had!!"


async def eventually(read, check, seconds: float = 20):
    async with asyncio.timeout(seconds):
        while True:
            value = await read()
            if check(value):
                return value
            await asyncio.sleep(0.1)


async def test_an_angry_message_raises_the_ticket_in_intake_and_routing(
    namespace: Namespace, bus_probe: BusProbe
):
    intake = intake_app(namespace)
    routing = routing_create_app(namespace.settings(RoutingSettings, "routing"))
    async with serve_in_process(intake) as client, serve_in_process(routing) as router:
        made = await create(client, ticket("Locked out", "Cannot log in", category="account"))
        path = f"/tickets/{made['id']}"

        async def in_routing():
            return await router.get(path)

        queued = await eventually(in_routing, lambda r: r.status_code == 200)
        assert (made["priority"], queued.json()["priority"]) == ("normal", "normal")

        calm = await client.post(f"{path}/customer-messages", json={"body": "Any news?"})
        angry = await client.post(f"{path}/customer-messages", json={"body": ANGRY})

        assert (calm.status_code, angry.status_code) == (201, 201)
        assert (await client.get(path)).json()["priority"] == "high"
        [escalated] = await bus_probe.wait_for("ticket.escalated.v1", subject=made["id"])
        assert (escalated.data["source"], escalated.data["trigger"]) == ("intake", "emotion")
        assert escalated.data["priority"] == "high"
        assert "unacceptable" in escalated.data["reason"]
        await eventually(in_routing, lambda r: r.json()["priority"] == "high")
        doc = await stored(intake, made["id"])
        notes = [h["event_type"] for h in doc["history"]]
        assert notes.count("ticket.escalated.v1") == 1
        assert len(bus_probe.of_type("ticket.escalated.v1", made["id"])) == 1
