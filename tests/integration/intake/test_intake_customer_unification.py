"""Every new ticket names its unified customer, on the ticket and in `ticket.created`."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration


def ticket_for(customer: dict, subject: str = "Charged twice") -> dict:
    return {
        "channel": "web",
        "customer": customer,
        "subject": subject,
        "body": f"{subject}: order 42.",
        "category": "billing",
        "fields": {"order_id": "42"},
    }


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_one_address_in_any_case_is_one_customer(client, bus_probe: BusProbe) -> None:
    first = await client.post("/tickets", json=ticket_for({"email": "pat@example.com"}))
    # Another problem, so a ticket of its own (the same one would join the first).
    again = await client.post(
        "/tickets", json=ticket_for({"email": "PAT@Example.com"}, "Parcel never came")
    )
    other = await client.post("/tickets", json=ticket_for({"email": "sam@example.com"}))
    assert [r.status_code for r in (first, again, other)] == [201, 201, 201]

    ids = [r.json()["customer"]["customer_id"] for r in (first, again, other)]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("C-")
    fetched = await client.get(f"/tickets/{first.json()['id']}")
    assert fetched.json()["customer"]["customer_id"] == ids[0]
    [envelope] = await bus_probe.wait_for("ticket.created.v1", subject=again.json()["id"])
    assert envelope.data["customer"]["customer_id"] == ids[0]


async def test_an_idempotent_retry_keeps_the_customer(client) -> None:
    headers = {"Idempotency-Key": "crm-77"}
    body = ticket_for({"email": "kim@example.com", "name": "Kim"})
    first = await client.post("/tickets", json=body, headers=headers)
    replay = await client.post("/tickets", json=body, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["customer"] == first.json()["customer"]
