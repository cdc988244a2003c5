"""Department scopes hold on every service, API keys are revoked everywhere within seconds,
budgets are per credential, and every write is on the audit trail."""

import asyncio
import json
import time

import pytest
from pymongo import AsyncMongoClient

from access_platform import running
from credentials import admin_headers, headers

pytestmark = pytest.mark.integration

ADMIN = admin_headers()
ANA = headers("agent", departments=("billing",), subject="ana")
CARLA = headers("agent", departments=("technical",), subject="carla")
BILLING_VIEWER = headers("viewer", departments=("billing",), subject="billing-viewer")


def ticket(category: str, email: str, **fields: str) -> dict:
    return {
        "channel": "web",
        "customer": {"email": email, "name": "Pat"},
        "subject": f"A {category} question",
        "body": "Please help.",
        "category": category,
        "fields": fields,
    }


async def agent(routing, agent_id: str, department: str, skill: str) -> None:
    body = {
        "agent_id": agent_id,
        "name": agent_id.title(),
        "department": department,
        "skills": {skill: 8},
        "capacity": 5,
        "presence": "available",
    }
    assert (await routing.post("/agents", json=body, headers=ADMIN)).status_code == 201


async def eventually(check, seconds: float = 20) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.1)


async def test_an_agent_sees_only_their_departments_tickets_on_every_service(namespace):
    async with running(namespace) as services:
        intake, routing, notify, reporting = (
            services[name] for name in ("intake", "routing", "notify", "reporting")
        )
        await agent(routing, "ana", "billing", "billing")
        await agent(routing, "carla", "technical", "technical")
        made = await intake.post(
            "/tickets", json=ticket("billing", "b@example.com", order_id="A-1"), headers=ADMIN
        )
        theirs = await intake.post(
            "/tickets", json=ticket("technical", "t@example.com", product="x"), headers=ADMIN
        )
        assert made.status_code == theirs.status_code == 201
        mine, other = made.json()["id"], theirs.json()["id"]
        assert made.json()["department"] == "billing"

        async def routed_and_reported() -> bool:
            rows = [
                await reporting.get(f"/reports/tickets/{t}", headers=ADMIN) for t in (mine, other)
            ]
            sent = await notify.get("/notifications", params={"ticket_id": other}, headers=ADMIN)
            return all(r.status_code == 200 and r.json()["status"] == "open" for r in rows) and (
                sent.json()["count"] >= 2
            )

        await eventually(routed_and_reported)

        for who in (ANA, BILLING_VIEWER):
            listed = (await intake.get("/tickets", headers=who)).json()
            assert [t["id"] for t in listed["data"]] == [mine]
            assert listed["count"] == 1
            assert (await intake.get(f"/tickets/{mine}", headers=who)).status_code == 200
            # Another department's ticket is as unknown as one that does not exist.
            assert (await intake.get(f"/tickets/{other}", headers=who)).status_code == 404
            assert (await routing.get(f"/tickets/{other}", headers=who)).status_code == 404
            assert (
                await reporting.get(f"/reports/tickets/{other}", headers=who)
            ).status_code == 404
            summary = (await reporting.get("/reports/summary", headers=who)).json()
            assert summary["total_tickets"] == 1
            assert set(summary["by_department"]) == {"billing"}
            agents = (await reporting.get("/reports/agents", headers=who)).json()
            assert {a["agent_id"] for a in agents["data"]} == {"ana"}
            notes = await notify.get("/notifications", params={"ticket_id": other}, headers=who)
            assert notes.json()["data"] == []
            everything = (await notify.get("/notifications", headers=who)).json()["data"]
            assert everything and {n["ticket_id"] for n in everything} == {mine}
            seen = (await routing.get("/agents", headers=who)).json()["data"]
            assert {a["agent_id"] for a in seen} == {"ana"}
            assert (await routing.get("/agents/carla", headers=who)).status_code == 404

        # An agent works their own department's tickets only; a viewer writes nothing.
        resolve = {"resolution": "done"}
        refused = await intake.post(f"/tickets/{other}/resolve", json=resolve, headers=ANA)
        assert refused.status_code == 404
        viewer = await intake.post(f"/tickets/{mine}/resolve", json=resolve, headers=BILLING_VIEWER)
        assert viewer.status_code == 403
        done = await intake.post(f"/tickets/{mine}/resolve", json=resolve, headers=ANA)
        assert done.status_code == 200
        # Configuration is for admins.
        rule = {"required_fields": [], "default_priority": "low"}
        assert (await intake.put("/categories/x", json=rule, headers=ANA)).status_code == 403
        # An agent changes their own presence, nobody else's, and nothing else of theirs.
        away = {"presence": "away"}
        assert (await routing.patch("/agents/ana", json=away, headers=ANA)).status_code == 200
        assert (await routing.patch("/agents/carla", json=away, headers=ANA)).status_code == 404
        more = {"capacity": 50}
        assert (await routing.patch("/agents/ana", json=more, headers=ANA)).status_code == 403


async def test_an_integration_reads_only_what_it_created_and_its_keys_are_its_own(namespace):
    async with running(namespace) as services:
        intake = services["intake"]
        keys = []
        for name in ("crm", "oa"):
            issued = await intake.post(
                "/api-keys", json={"name": name, "roles": ["integration"]}, headers=ADMIN
            )
            assert issued.status_code == 201, issued.text
            keys.append({"X-API-Key": issued.json()["key"]})
        crm, oa = keys
        body = ticket("general", "g@example.com")
        first = await intake.post("/tickets", json=body, headers={**crm, "Idempotency-Key": "k-1"})
        # The same Idempotency-Key from another system is that system's own: a new ticket
        # (and the duplicate check never joins a ticket the caller may not see).
        second = await intake.post("/tickets", json=body, headers={**oa, "Idempotency-Key": "k-1"})
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] != second.json()["id"]
        replay = await intake.post("/tickets", json=body, headers={**crm, "Idempotency-Key": "k-1"})
        assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])

        listed = (await intake.get("/tickets", headers=crm)).json()["data"]
        assert [t["id"] for t in listed] == [first.json()["id"]]
        assert (await intake.get(f"/tickets/{second.json()['id']}", headers=crm)).status_code == 404
        # An integration creates and reads; it does not resolve, configure or issue keys.
        resolve = await intake.post(f"/tickets/{first.json()['id']}/resolve", headers=crm)
        assert resolve.status_code == 403
        assert (await intake.get("/api-keys", headers=crm)).status_code == 403
        assert (await services["routing"].get("/agents", headers=crm)).status_code == 403


async def test_a_revoked_key_stops_working_on_every_service_within_five_seconds(namespace):
    async with running(namespace) as services:
        issued = await services["intake"].post(
            "/api-keys",
            json={"name": "ops-tool", "roles": ["viewer"], "departments": ["billing"]},
            headers=ADMIN,
        )
        assert issued.status_code == 201
        key_id, key = issued.json()["key_id"], {"X-API-Key": issued.json()["key"]}
        probes = {
            "intake": "/tickets",
            "routing": "/queue",
            "notify": "/notifications",
            "reporting": "/reports/summary",
        }

        async def answers(expected: int) -> bool:
            codes = [
                (await services[name].get(path, headers=key)).status_code
                for name, path in probes.items()
            ]
            return all(code == expected for code in codes)

        await eventually(lambda: answers(200), seconds=10)
        listed = (await services["intake"].get("/api-keys", headers=ADMIN)).json()["data"]
        assert "key" not in listed[0] and listed[0]["key_id"] == key_id

        revoked_at = time.monotonic()
        gone = await services["intake"].delete(f"/api-keys/{key_id}", headers=ADMIN)
        assert gone.status_code == 200 and gone.json()["revoked_at"]
        await eventually(lambda: answers(401), seconds=5)
        assert time.monotonic() - revoked_at < 5


async def test_requests_past_a_credentials_budget_get_429_with_retry_after(namespace):
    async with running(namespace, rate_limit_per_second=0.5, rate_limit_burst=3) as services:
        intake = services["intake"]
        codes = [(await intake.get("/categories", headers=ANA)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await intake.get("/categories", headers=ANA)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # Another credential has its own budget.
        assert (await intake.get("/categories", headers=CARLA)).status_code == 200


async def test_every_write_is_audited_and_agents_can_neither_read_nor_change_the_trail(namespace):
    async with running(namespace) as services:
        intake = services["intake"]
        made = await intake.post(
            "/tickets",
            json=ticket("billing", "audit@example.com", order_id="A-9"),
            headers={**ANA, "X-Request-ID": "req-42"},
        )
        assert made.status_code == 201 and made.headers["x-request-id"] == "req-42"
        rule = {"required_fields": [], "default_priority": "low"}
        assert (await intake.put("/categories/x", json=rule, headers=ANA)).status_code == 403
        trail = (await intake.get("/audit", params={"actor": "user:ana"}, headers=ADMIN)).json()
        actions = {(e["action"], e["outcome"]) for e in trail["data"]}
        assert actions == {("POST /tickets", 201), ("PUT /categories/{name}", 403)}
        created = next(e for e in trail["data"] if e["action"] == "POST /tickets")
        assert created["target"] == {"ticket_id": made.json()["id"]}
        assert created["request_id"] == "req-42"
        by_target = await intake.get("/audit", params={"target": made.json()["id"]}, headers=ADMIN)
        assert [e["id"] for e in by_target.json()["data"]] == [created["id"]]

        assert (await intake.get("/audit", headers=ANA)).status_code == 403
        for method in ("DELETE", "PUT", "PATCH", "POST"):
            answer = await intake.request(method, "/audit", headers=ADMIN)
            assert answer.status_code == 405, method
        after = (await intake.get("/audit", params={"actor": "user:ana"}, headers=ADMIN)).json()
        assert after["count"] == 2


async def test_the_store_keeps_no_key_in_clear_text(namespace):
    client = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        async with running(namespace) as services:
            issued = await services["intake"].post(
                "/api-keys", json={"name": "crm", "roles": ["integration"]}, headers=ADMIN
            )
            secret, key_id = issued.json()["key"], issued.json()["key_id"]
            for service in ("intake", "routing", "notify", "reporting"):
                db = client[namespace.database(service)]

                async def copied(db=db) -> bool:
                    return await db["api_keys"].find_one({"_id": key_id}) is not None

                await eventually(copied, seconds=10)  # every service keeps its own copy
                docs = [doc async for doc in db["api_keys"].find({})]
                assert docs[0]["secret_hash"]
                assert secret not in repr(docs)
                # The secret part follows `tfk_<key id>_`, and may itself hold a `_`.
                assert secret.removeprefix(f"tfk_{key_id}_") not in repr(docs)
    finally:
        await client.close()


async def test_dead_letters_show_a_supervisor_only_their_departments_tickets(namespace, bus_probe):
    async with running(namespace) as services:
        intake = services["intake"]
        made = await intake.post(
            "/tickets", json=ticket("billing", "dl@example.com", order_id="A-3"), headers=ADMIN
        )
        ticket_id = made.json()["id"]
        # A message about that ticket that can never be handled: dead-lettered at once.
        poison = {
            "specversion": "1.0",
            "id": "poison-1",
            "source": "/ticketflow/routing",
            "type": "ticket.queued.v1",
            "subject": ticket_id,
            "data": {"ticket_id": ticket_id},
        }
        await bus_probe.publish_raw(json.dumps(poison).encode(), "ticket.queued.v1")

        async def letters(who: dict) -> list[dict]:
            answer = await intake.get("/dead-letters", headers=who)
            assert answer.status_code == 200, answer.text
            return answer.json()["data"]

        async def arrived() -> bool:
            return any(letter["subject"] == ticket_id for letter in await letters(ADMIN))

        await eventually(arrived)
        billing_lead = headers("supervisor", departments=("billing",), subject="b-lead")
        technical_lead = headers("supervisor", departments=("technical",), subject="t-lead")
        assert [letter["subject"] for letter in await letters(billing_lead)] == [ticket_id]
        assert await letters(technical_lead) == []
        assert (await intake.get("/dead-letters", headers=ANA)).status_code == 403
        replay = await intake.post("/dead-letters/replay", headers=billing_lead)
        assert replay.status_code == 403
