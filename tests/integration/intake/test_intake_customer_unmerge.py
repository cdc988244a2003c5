"""Undoing a merge of customer records: the merged record stands again with its identities,
CRM ids and timeline; the survivor is as before, but for what changed since."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from credentials import headers
from intake import customer_handlers
from intake.adapters.customer_profiles import CUSTOMER_PROFILES
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

FRONT_DESK = headers("agent", departments=("front-desk",))


def ticket(email: str, subject: str) -> dict:
    return {
        "channel": "web",
        "customer": {"email": email},
        "subject": subject,
        "body": "Please help.",
        "category": "general",
    }


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    # Placeholder tickets of one customer: duplicate detection would join them.
    return create_app(namespace.settings(IntakeSettings, "intake", duplicate_detection=False))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def customer_with(client: httpx.AsyncClient, email: str, subject: str) -> str:
    made = await client.post("/tickets", json=ticket(email, subject))
    assert made.status_code == 201, made.text
    return made.json()["customer"]["customer_id"]


async def merged_pair(client: httpx.AsyncClient) -> tuple[str, str]:
    """Pat's two records, the second with a CRM record, merged into the first."""
    survivor = await customer_with(client, "pat@example.com", "By email")
    merged = await customer_with(client, "pat.lee@example.org", "From work")
    crm = {"name": "Pat Lee", "tier": "gold", "email": "pat.lee@example.org"}
    assert (await client.put("/customers/by-external-id/salescrm/0031", json=crm)).is_success
    done = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": merged}, headers=FRONT_DESK
    )
    assert done.status_code == 200, done.text
    assert (done.json()["name"], done.json()["external_ids"]) == ("Pat Lee", ["salescrm:0031"])
    return survivor, merged


async def owner(client: httpx.AsyncClient, query: str) -> list[str]:
    return (await client.get(f"/customers?{query}")).json()["data"]


async def test_an_unmerge_gives_the_merged_record_back_all_it_had(app, client) -> None:
    survivor, merged = await merged_pair(client)

    undone = await client.post(
        f"/customers/{survivor}/unmerge", json={"customer_id": merged}, headers=FRONT_DESK
    )
    assert undone.status_code == 200, undone.text
    kept = undone.json()
    assert (kept["merged"], kept["name"], kept["tier"], kept["external_ids"]) == (
        [],
        None,
        None,
        [],
    )
    assert [i["subject"] for i in kept["timeline"]["data"]] == ["By email"]

    back = await client.get(f"/customers/{merged}")
    assert back.status_code == 200, back.text
    assert (back.json()["name"], back.json()["tier"]) == ("Pat Lee", "gold")
    assert [i["subject"] for i in back.json()["timeline"]["data"]] == ["From work"]
    assert await owner(client, "email=pat.lee@example.org") == [merged]
    assert await owner(client, "external=salescrm:0031") == [merged]
    assert await owner(client, "email=pat@example.com") == [survivor]
    assert await customer_with(client, "pat.lee@example.org", "Again") == merged

    stored = await app.state.runtime.db[CUSTOMER_PROFILES].find_one({"_id": survivor})
    assert stored.get("merge_undo") == {}
    assert len(stored["identities"]) == 1  # its own address only

    # Undone once: the same request again is refused, and the records may be merged anew.
    again = await client.post(f"/customers/{survivor}/unmerge", json={"customer_id": merged})
    assert again.status_code == 409
    remerged = await client.post(f"/customers/{survivor}/merge", json={"customer_id": merged})
    assert remerged.status_code == 200, remerged.text
    assert remerged.json()["merged"] == [merged]


async def test_what_changed_on_the_survivor_since_the_merge_stays(client) -> None:
    survivor, merged = await merged_pair(client)
    # The CRM's id names the survivor now: its update lands there.
    update = await client.put("/customers/by-external-id/salescrm/0031", json={"tier": "platinum"})
    assert update.json()["id"] == survivor

    undone = await client.post(f"/customers/{survivor}/unmerge", json={"customer_id": merged})
    assert undone.status_code == 200, undone.text
    assert (undone.json()["name"], undone.json()["tier"]) == (None, "platinum")
    assert (await client.get(f"/customers/{merged}")).json()["tier"] == "gold"


async def test_unmerges_that_cannot_be_are_refused(app, client) -> None:
    survivor, merged = await merged_pair(client)
    other = await customer_with(client, "sam@example.com", "Unrelated")
    stranger = headers("agent", departments=("billing",), subject="bo")
    viewer = headers("viewer", departments=("front-desk",))
    body = {"customer_id": merged}
    path = f"/customers/{survivor}/unmerge"

    assert (await client.post(path, json=body, headers=stranger)).status_code == 403
    assert (await client.post(path, json=body, headers=viewer)).status_code == 403
    backwards = await client.post(f"/customers/{merged}/unmerge", json={"customer_id": survivor})
    assert backwards.status_code == 409
    never = await client.post(path, json={"customer_id": other})
    assert never.status_code == 409
    unknown = await client.post(path, json={"customer_id": "C-000000000000000000000000"})
    assert unknown.status_code == 404

    # A merge made before merges kept what they changed.
    profiles = app.state.runtime.db[CUSTOMER_PROFILES]
    await profiles.update_one({"_id": survivor}, {"$unset": {f"merge_undo.{merged}": ""}})
    old = await client.post(path, json=body)
    assert old.status_code == 409
    assert "cannot be undone" in old.json()["detail"]
    assert (await client.get(f"/customers/{merged}")).status_code == 301


async def test_records_merged_into_the_merged_one_go_back_with_it(client) -> None:
    first = await customer_with(client, "pat@example.com", "By email")
    second = await customer_with(client, "pat.lee@example.org", "From work")
    third = await customer_with(client, "pl@example.net", "From home")
    assert (await client.post(f"/customers/{second}/merge", json={"customer_id": third})).is_success
    assert (await client.post(f"/customers/{first}/merge", json={"customer_id": second})).is_success
    assert await owner(client, "email=pl@example.net") == [first]

    undone = await client.post(f"/customers/{first}/unmerge", json={"customer_id": second})
    assert undone.status_code == 200, undone.text
    assert undone.json()["merged"] == []
    back = (await client.get(f"/customers/{second}")).json()
    assert back["merged"] == [third]
    assert sorted(i["subject"] for i in back["timeline"]["data"]) == ["From home", "From work"]
    assert await owner(client, "email=pl@example.net") == [second]
    assert (await client.get(f"/customers/{third}")).json() == {"merged_into": second}


class CrashingMove:
    """Identities whose moves fail: the process dies as the unmerge starts."""

    def __init__(self, identities) -> None:
        self.identities = identities

    def __getattr__(self, name: str):
        return getattr(self.identities, name)

    async def move(self, key: str, from_customer: str, to_customer: str) -> None:
        raise ConnectionError("the store went away")


async def test_a_retry_finishes_an_unmerge_a_crash_interrupted(app, client) -> None:
    survivor, merged = await merged_pair(client)
    customers = app.state.customers
    crashing = replace(customers, identities=CrashingMove(customers.identities))
    with pytest.raises(ConnectionError):
        await customer_handlers.unmerge(crashing, survivor, merged)
    assert (await client.get(f"/customers/{merged}")).status_code == 301  # still merged

    retried = await client.post(f"/customers/{survivor}/unmerge", json={"customer_id": merged})
    assert retried.status_code == 200, retried.text
    assert (await client.get(f"/customers/{merged}")).status_code == 200
    assert await owner(client, "email=pat.lee@example.org") == [merged]


async def test_an_agent_unmerges_only_records_with_a_ticket_it_sees_in_each(client) -> None:
    survivor = await customer_with(client, "pat@example.com", "By email")
    billing = {**ticket("pat.lee@example.org", "Invoice"), "category": "billing"}
    made = await client.post("/tickets", json={**billing, "fields": {"order_id": "A-7"}})
    merged = made.json()["customer"]["customer_id"]
    assert (
        await client.post(f"/customers/{survivor}/merge", json={"customer_id": merged})
    ).is_success

    path, body = f"/customers/{survivor}/unmerge", {"customer_id": merged}
    refused = await client.post(path, json=body, headers=FRONT_DESK)
    assert refused.status_code == 403, refused.text
    assert merged in refused.json()["detail"]
    # Seeing the merged record's ticket alone is not enough either, though the survivor
    # shows it while they are merged.
    billing_agent = headers("agent", departments=("billing",), subject="bo")
    refused = await client.post(path, json=body, headers=billing_agent)
    assert refused.status_code == 403, refused.text
    assert survivor in refused.json()["detail"]
    both = headers("agent", departments=("front-desk", "billing"), subject="kim")
    assert (await client.post(path, json=body, headers=both)).status_code == 200
