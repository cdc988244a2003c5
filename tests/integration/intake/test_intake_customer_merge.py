"""Merging two customer records: everything moves to the survivor, and a retry finishes a
merge a crash interrupted."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from credentials import headers
from intake import customer_handlers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration


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
    # The tickets are placeholders of one customer's timeline ("Please help."): duplicate
    # detection (tested in test_intake_duplicates.py) would join them.
    return create_app(namespace.settings(IntakeSettings, "intake", duplicate_detection=False))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def two_customers(client) -> tuple[str, str]:
    first = await client.post("/tickets", json=ticket("pat@example.com", "By email"))
    second = await client.post("/tickets", json=ticket("pat.lee@example.org", "From work"))
    return first.json()["customer"]["customer_id"], second.json()["customer"]["customer_id"]


async def test_a_merge_moves_identities_and_timeline_to_the_survivor(client) -> None:
    survivor, merged = await two_customers(client)
    agent = headers("agent", departments=("front-desk",))
    done = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": merged}, headers=agent
    )
    assert done.status_code == 200, done.text
    assert done.json()["merged"] == [merged]
    subjects = [i["subject"] for i in done.json()["timeline"]["data"]]
    assert subjects == ["From work", "By email"]

    pointer = await client.get(f"/customers/{merged}")
    assert pointer.status_code == 301
    assert pointer.json() == {"merged_into": survivor}
    assert pointer.headers["location"] == f"/customers/{survivor}"
    found = await client.get("/customers?email=pat.lee@example.org")
    assert found.json()["data"] == [survivor]
    later = await client.post("/tickets", json=ticket("pat.lee@example.org", "Again"))
    assert later.json()["customer"]["customer_id"] == survivor

    again = await client.post(f"/customers/{survivor}/merge", json={"customer_id": merged})
    assert again.status_code == 200
    timeline = again.json()["timeline"]["data"]
    assert [i["subject"] for i in timeline] == ["Again", "From work", "By email"]


async def test_an_agent_merges_only_records_with_a_ticket_it_sees(client) -> None:
    survivor, merged = await two_customers(client)
    stranger = headers("agent", departments=("billing",), subject="bo")
    refused = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": merged}, headers=stranger
    )
    assert refused.status_code == 403, refused.text
    assert survivor in refused.json()["detail"]
    assert (await client.get(f"/customers/{merged}")).status_code == 200  # not merged
    supervisor = headers("supervisor", departments=("*",))
    done = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": merged}, headers=supervisor
    )
    assert done.status_code == 200, done.text


async def test_merges_that_cannot_be_are_refused(client) -> None:
    survivor, merged = await two_customers(client)
    itself = await client.post(f"/customers/{survivor}/merge", json={"customer_id": survivor})
    assert itself.status_code == 409
    await client.post(f"/customers/{survivor}/merge", json={"customer_id": merged})
    backwards = await client.post(f"/customers/{merged}/merge", json={"customer_id": survivor})
    assert backwards.status_code == 409
    unknown = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": "C-000000000000000000000000"}
    )
    assert unknown.status_code == 404
    viewer = headers("viewer", departments=("front-desk",))
    refused = await client.post(
        f"/customers/{survivor}/merge", json={"customer_id": merged}, headers=viewer
    )
    assert refused.status_code == 403


class CrashingMove:
    """Identities whose moves fail: the process dies after the merge is recorded."""

    def __init__(self, identities) -> None:
        self.identities = identities

    def __getattr__(self, name: str):
        return getattr(self.identities, name)

    async def move(self, key: str, from_customer: str, to_customer: str) -> None:
        raise ConnectionError("the store went away")


async def test_a_retry_finishes_a_merge_a_crash_interrupted(app, client) -> None:
    survivor, merged = await two_customers(client)
    customers = app.state.customers
    crashing = replace(customers, identities=CrashingMove(customers.identities))
    with pytest.raises(ConnectionError):
        await customer_handlers.merge(crashing, survivor, merged)

    halfway = await client.get(f"/customers/{merged}")
    assert halfway.status_code == 200  # not yet pointing anywhere
    assert (await client.get("/customers?email=pat.lee@example.org")).json()["data"] == [merged]
    recorded = (await client.get(f"/customers/{survivor}")).json()
    assert recorded["merged"] == [merged]  # the survivor already shows both timelines
    assert len(recorded["timeline"]["data"]) == 2

    retried = await client.post(f"/customers/{survivor}/merge", json={"customer_id": merged})
    assert retried.status_code == 200
    assert (await client.get(f"/customers/{merged}")).status_code == 301
    assert (await client.get("/customers?email=pat.lee@example.org")).json()["data"] == [survivor]
