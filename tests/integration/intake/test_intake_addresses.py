"""Customer addresses through the real store and broker: the ASCII form is what every hop sees."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration

TICKET = {
    "channel": "web",
    "customer": {"email": "Ada@Exämple.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42"},
}
ASCII_FORM = "Ada@xn--exmple-cua.com"


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def test_an_internationalised_domain_is_stored_read_and_published_in_ascii(
    client, bus_probe: BusProbe
):
    created = await client.post("/tickets", json=TICKET)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    fetched = (await client.get(f"/tickets/{ticket_id}")).json()
    listed = (await client.get("/tickets", params={"customer_email": "ada@exämple.com"})).json()
    [envelope] = await bus_probe.wait_for("ticket.created.v1", subject=ticket_id)

    customer_id = fetched["customer"]["customer_id"]
    assert fetched["customer"] == {"email": ASCII_FORM, "name": "Ada", "customer_id": customer_id}
    assert [t["id"] for t in listed["data"]] == [ticket_id]
    # As it travels, before any consumer's model reads it.
    assert envelope.data["customer"] == {
        "email": ASCII_FORM,
        "name": "Ada",
        "phone": None,
        "customer_id": customer_id,
    }


async def test_a_nul_in_the_subject_is_refused_and_nothing_is_stored(app, client):
    response = await client.post("/tickets", json={**TICKET, "subject": "Charged\x00twice"})

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "subject"]]
    assert await app.state.runtime.db["tickets"].count_documents({}) == 0
