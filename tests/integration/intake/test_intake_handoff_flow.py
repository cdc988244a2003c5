"""Handoffs against real RabbitMQ and the MongoDB-protocol store: transfers and their
checklists, the ownership chain and its spans, followers, consults."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from credentials import headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import (
    Envelope,
    TicketAssignedV1,
    TicketConsultedV1,
    TicketTransferredV1,
)

pytestmark = pytest.mark.integration

ROUTING = "/ticketflow/routing"
ANA = headers("agent", departments=("billing",), subject="ana")
CARLA = headers("agent", departments=("technical",), subject="carla")
EVA = headers("agent", departments=("accounts",), subject="eva")
TICKET = {
    "channel": "email",
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42"},
}
CHECKLIST = {
    "items": [
        {"key": "repro", "label": "Steps to reproduce"},
        {"key": "called", "label": "Customer called back", "required": False},
    ],
    "by_category": {"billing": [{"key": "invoice", "label": "Invoice number noted"}]},
}
NOTE = "Router drops the line every hour; the double charge is refunded."


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    # Tickets here are one customer's same request, opened twice on purpose: duplicate
    # detection (tested in test_intake_duplicates.py) would join them.
    settings = namespace.settings(IntakeSettings, "intake", prefetch=1, duplicate_detection=False)
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


@pytest.fixture
def spans(app: FastAPI) -> Iterator[InMemorySpanExporter]:
    """What the process's tracer provider (installed by the first app built) finishes while
    the test runs."""
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the provider keeps its processors; a shut exporter keeps nothing


def assigned(ticket_id: str, agent_id: str, department: str, sequence: int) -> Envelope:
    event = TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        agent_name=agent_id.title(),
        department=department,
        skill=department,
        skill_level=5,
        assigned_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)


async def ticket_when(client: httpx.AsyncClient, ticket_id: str, done, timeout: float = 15) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            ticket = (await client.get(f"/tickets/{ticket_id}")).json()
            if done(ticket):
                return ticket
            await asyncio.sleep(0.05)


async def give_to(
    client: httpx.AsyncClient,
    probe: BusProbe,
    ticket_id: str,
    agent: str,
    department: str,
    seq: int,
) -> dict:
    """Routing's assignment of the ticket to `agent`, once intake has applied it."""
    await probe.publish(assigned(ticket_id, agent, department, seq))
    return await ticket_when(
        client, ticket_id, lambda t: (t["assignee"] or {}).get("agent_id") == agent
    )


def held(periods: list[dict], **owner: str) -> float:
    """Seconds the periods of `owner` (a department or agent_id) add up to."""
    return sum(
        (
            datetime.fromisoformat(p["ended_at"]) - datetime.fromisoformat(p["started_at"])
        ).total_seconds()
        for p in periods
        if all(p[key] == value for key, value in owner.items())
    )


async def open_ticket(client: httpx.AsyncClient) -> str:
    response = await client.post("/tickets", json=TICKET)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_transfer_end_to_end(app, client, bus_probe: BusProbe):
    assert (await client.put("/handoff-checklists/technical", json=CHECKLIST)).status_code == 200
    ticket_id = await open_ticket(client)
    await give_to(client, bus_probe, ticket_id, "ana", "billing", 1)
    path = f"/tickets/{ticket_id}/transfer"

    refused = await client.post(path, json={"department": "technical"}, headers=ANA)
    moved = await client.post(
        path,
        json={"department": "technical", "note": NOTE, "checklist": ["repro", "invoice"]},
        headers=ANA,
    )

    assert refused.status_code == 422
    assert [p["loc"] for p in refused.json()["detail"]] == [
        ["body", "note"],
        ["body", "checklist", "repro"],
        ["body", "checklist", "invoice"],
    ]
    assert moved.status_code == 200, moved.text
    [envelope] = await bus_probe.wait_for("ticket.transferred.v1", subject=ticket_id)
    assert envelope.sequence == 3  # created 1, assigned 2, transferred 3
    event = TicketTransferredV1.model_validate(envelope.data)
    assert (event.from_department, event.to_department, event.from_agent_id) == (
        "billing",
        "technical",
        "ana",
    )
    assert (event.note, event.checklist, event.category, event.actor) == (
        NOTE,
        ["repro", "invoice"],
        "billing",
        "user:ana",
    )
    stored = await app.state.runtime.db["tickets"].find_one({"_id": ticket_id})
    assert (stored["department"], stored["assignee"]) == ("technical", None)
    assert stored["departments"] == ["billing", "technical"]
    # The handoff note is sealed at rest, like every note about the customer.
    assert NOTE not in str(stored)
    assert stored["ownership"][-1]["note"].startswith("enc:v1:")

    # Both departments find it in their lists now; technical takes it and solves it.
    for who in (ANA, CARLA):
        listed = (await client.get("/tickets", headers=who)).json()
        assert [t["id"] for t in listed["data"]] == [ticket_id]
    await give_to(client, bus_probe, ticket_id, "carla", "technical", 4)
    solved = await client.post(f"/tickets/{ticket_id}/resolve", headers=CARLA)
    assert solved.status_code == 200

    ownership = solved.json()["ownership"]
    assert [(p["department"], p["agent_id"]) for p in ownership["periods"]] == [
        ("billing", None),
        ("billing", "ana"),
        ("technical", None),
        ("technical", "carla"),
    ]
    assert all(p["ended_at"] for p in ownership["periods"])
    assert ownership["department_seconds"] == pytest.approx(
        {name: held(ownership["periods"], department=name) for name in ("billing", "technical")}
    )
    assert ownership["agent_seconds"] == pytest.approx(
        {name: held(ownership["periods"], agent_id=name) for name in ("ana", "carla")}
    )
    assert ownership["followers"] == ["ana", "carla"]
    assert (await client.get(f"/tickets/{ticket_id}")).json()["ownership"] == ownership


async def test_previous_owners_follow_the_ticket_and_see_it_solved(client, bus_probe: BusProbe):
    ticket_id = await open_ticket(client)
    other_id = await open_ticket(client)
    await give_to(client, bus_probe, ticket_id, "ana", "billing", 1)
    moved = await client.post(
        f"/tickets/{ticket_id}/transfer", json={"department": "accounts", "note": NOTE}, headers=ANA
    )
    assert moved.status_code == 200, moved.text

    before = (await client.get("/following", headers=ANA)).json()
    await client.post(f"/tickets/{ticket_id}/resolve")
    after = (await client.get("/following", headers=ANA)).json()
    nobody = (await client.get("/following", headers=CARLA)).json()

    assert [(t["id"], t["status"], t["department"]) for t in before["data"]] == [
        (ticket_id, "open", "accounts")
    ]
    assert [(t["id"], t["status"]) for t in after["data"]] == [(ticket_id, "solved")]
    assert after["count"] == 1
    assert other_id not in [t["id"] for t in after["data"]]
    assert nobody == {"data": [], "count": 0}


async def test_a_consult_is_listed_for_the_consulted_department_and_answered(
    app, client, bus_probe: BusProbe
):
    ticket_id = await open_ticket(client)
    assert (await client.get(f"/tickets/{ticket_id}", headers=EVA)).status_code == 404

    asked = await client.post(
        f"/tickets/{ticket_id}/consults",
        json={"department": "accounts", "question": "Is Ada's account verified?"},
        headers=ANA,
    )
    assert asked.status_code == 201, asked.text
    consult_id = asked.json()["id"]
    waiting = (await client.get("/consults", params={"status": "open"}, headers=EVA)).json()
    not_billing = (await client.get("/consults", headers=ANA)).json()
    seen = await client.get(f"/tickets/{ticket_id}", headers=EVA)
    answered = await client.post(
        f"/tickets/{ticket_id}/consults/{consult_id}/answer",
        json={"answer": "Yes, since May."},
        headers=EVA,
    )
    still_open = (await client.get("/consults", headers=EVA)).json()
    done = (await client.get("/consults", params={"status": "answered"}, headers=EVA)).json()
    everyone = (await client.get("/consults", params={"status": "answered"})).json()

    assert [(c["ticket_id"], c["id"], c["question"]) for c in waiting["data"]] == [
        (ticket_id, consult_id, "Is Ada's account verified?")
    ]
    assert waiting["data"][0]["ticket_department"] == "billing"
    assert not_billing["count"] == 0
    assert seen.status_code == 200
    assert answered.status_code == 200, answered.text
    assert still_open["count"] == 0
    assert [(c["id"], c["answer"], c["answered_by"]) for c in done["data"]] == [
        (consult_id, "Yes, since May.", "user:eva")
    ]
    assert everyone["count"] == 1
    # Ownership stays put; the consulted department keeps reading the ticket for the record.
    ticket = (await client.get(f"/tickets/{ticket_id}", headers=EVA)).json()
    assert ticket["department"] == "billing"
    events = await bus_probe.wait_for("ticket.consulted.v1", subject=ticket_id, count=2)
    payloads = [TicketConsultedV1.model_validate(e.data) for e in events]
    assert [(p.status, p.actor) for p in payloads] == [
        ("open", "user:ana"),
        ("answered", "user:eva"),
    ]
    stored = await app.state.runtime.db["tickets"].find_one({"_id": ticket_id})
    assert "verified" not in str(stored["consults"])


async def test_each_ownership_period_is_a_span_in_the_tickets_trace(
    client, bus_probe: BusProbe, spans: InMemorySpanExporter
):
    ticket_id = await open_ticket(client)
    [created] = await bus_probe.wait_for("ticket.created.v1", subject=ticket_id)
    await give_to(client, bus_probe, ticket_id, "ana", "billing", 1)
    moved = await client.post(
        f"/tickets/{ticket_id}/transfer", json={"department": "technical", "note": NOTE}
    )
    assert moved.status_code == 200

    ours = [
        s
        for s in spans.get_finished_spans()
        if s.name.startswith("ownership ") and s.attributes.get("ticketflow.ticket_id") == ticket_id
    ]
    _, trace_id, span_id, _ = created.traceparent.split("-")
    assert [(s.name, s.attributes.get("ticketflow.agent_id")) for s in ours] == [
        ("ownership billing", None),
        ("ownership billing", "ana"),
    ]
    assert all(f"{s.context.trace_id:032x}" == trace_id for s in ours)
    assert all(f"{s.parent.span_id:016x}" == span_id for s in ours)
    periods = moved.json()["ownership"]["periods"]
    handed = ours[1]
    assert handed.attributes["ticketflow.handoff.to"] == "technical"
    assert handed.end_time - handed.start_time == pytest.approx(
        (
            datetime.fromisoformat(periods[1]["ended_at"])
            - datetime.fromisoformat(periods[1]["started_at"])
        ).total_seconds()
        * 1e9,
        abs=1e6,
    )
