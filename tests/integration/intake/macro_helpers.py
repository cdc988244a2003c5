"""Intake in process against the real servers, for the macro tests: tickets, routing's events,
and the people who use macros."""

import asyncio
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace
from ticketflow_shared.events import Envelope, Priority, TicketAssignedV1, TicketQueuedV1

ROUTING = "/ticketflow/routing"
TICKET = {
    "channel": "email",
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42"},
}
GRACE = headers("agent", departments=("billing",), subject="grace")
CARLA = headers("agent", departments=("technical",), subject="carla")
BILLING_SUPERVISOR = headers("supervisor", departments=("billing",), subject="sue")


def intake_app(namespace: Namespace) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake", prefetch=1))


async def open_ticket(client: httpx.AsyncClient) -> dict:
    response = await client.post("/tickets", json=TICKET)
    assert response.status_code == 201, response.text
    return response.json()


async def assign(client: httpx.AsyncClient, bus_probe: BusProbe, ticket_id: str) -> dict:
    """Routing queues the ticket and gives it to grace; returns the ticket once it is hers."""
    now = datetime.now(UTC)
    queued = TicketQueuedV1(
        ticket_id=ticket_id, required_skill="billing", priority=Priority.high, queued_at=now
    )
    assigned = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id="grace",
        agent_name="Grace",
        department="billing",
        skill="billing",
        skill_level=4,
        assigned_at=now,
    )
    for sequence, event in enumerate((queued, assigned), start=1):
        await bus_probe.publish(
            Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)
        )
    async with asyncio.timeout(15):
        while True:
            ticket = (await client.get(f"/tickets/{ticket_id}")).json()
            if ticket["assignee"] is not None:
                return ticket
            await asyncio.sleep(0.05)


async def stored(app: FastAPI, ticket_id: str) -> dict:
    """The stored ticket without its outbox, which the relay empties whenever it publishes."""
    return await app.state.runtime.db["tickets"].find_one(
        {"_id": ticket_id}, {"outbox": 0, "outbox_since": 0}
    )
