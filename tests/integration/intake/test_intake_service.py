"""Intake against real RabbitMQ and the MongoDB-protocol store."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from factories import assigned_envelope
from intake import handlers
from intake.bootstrap import create_app
from intake.domain.categories import DEFAULT_CATEGORIES
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import (
    Envelope,
    EscalationTrigger,
    Priority,
    TicketCreatedV1,
    TicketEscalatedV1,
    TicketQueuedV1,
    TicketResolvedV1,
)

pytestmark = pytest.mark.integration

TICKET = {
    "channel": "email",
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42", "amount": 19.99},
}
ROUTING = "/ticketflow/routing"


def intake_app(namespace: Namespace, **overrides: object) -> FastAPI:
    # prefetch=1: the consumer takes events one at a time, in order, so a later marker
    # event proves every earlier one was handled.
    # The tickets here are one customer's same request, opened again on purpose (markers,
    # queues of alike tickets): duplicate detection (test_intake_duplicates.py) would join them.
    settings = {"prefetch": 1, "duplicate_detection": False, **overrides}
    return create_app(namespace.settings(IntakeSettings, "intake", **settings))


@pytest.fixture
async def app(namespace: Namespace) -> FastAPI:
    return intake_app(namespace)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def open_ticket(client: httpx.AsyncClient, **changes: object) -> dict:
    response = await client.post("/tickets", json={**TICKET, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def assigned_event(ticket_id: str, agent_id: str = "agent-7", sequence: int = 2) -> Envelope:
    """Routing's ticket.assigned; by default after its ticket.queued (sequence 1)."""
    return assigned_envelope(
        ticket_id, agent_id, sequence=sequence, agent_name="Grace", skill_level=4
    )


def queued_event(ticket_id: str, sequence: int = 1) -> Envelope:
    event = TicketQueuedV1(
        ticket_id=ticket_id,
        required_skill="billing",
        priority=Priority.high,
        queued_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, source=ROUTING, subject=ticket_id, sequence=sequence)


async def ticket_when(client: httpx.AsyncClient, ticket_id: str, done, timeout: float = 15) -> dict:
    """Poll GET /tickets/{id} until `done(ticket)` holds; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            ticket = (await client.get(f"/tickets/{ticket_id}")).json()
            if done(ticket):
                return ticket
            await asyncio.sleep(0.05)


async def pending_outbox(app: FastAPI, ticket_id: str) -> list:
    doc = await app.state.runtime.db["tickets"].find_one({"_id": ticket_id})
    return doc.get("outbox") or []


async def test_post_publishes_exactly_one_ticket_created(app, client, bus_probe: BusProbe):
    ticket = await open_ticket(client)

    [envelope] = await bus_probe.wait_for("ticket.created.v1", subject=ticket["id"])
    assert envelope.source == "/ticketflow/intake"
    assert envelope.traceparent is not None
    assert envelope.sequence == 1
    created = TicketCreatedV1.model_validate(envelope.data)
    assert created.ticket_id == ticket["id"]
    assert created.channel == "email"
    assert (created.customer.email, created.customer.name) == ("ada@example.com", "Ada")
    assert (created.subject, created.body) == (TICKET["subject"], TICKET["body"])
    assert (created.category, created.priority) == ("billing", Priority.high)
    assert created.fields == {"order_id": "42", "amount": 19.99}
    # Nothing left for the relay's sweep to send a second time.
    assert await pending_outbox(app, ticket["id"]) == []
    assert len(bus_probe.of_type("ticket.created.v1", ticket["id"])) == 1


async def test_get_returns_the_stored_ticket(client):
    ticket = await open_ticket(client)

    fetched = await client.get(f"/tickets/{ticket['id']}")

    assert fetched.status_code == 200
    assert fetched.json() == ticket
    assert (await client.get("/tickets/TF-UNKNOWN0000")).status_code == 404


async def test_a_missing_required_field_is_named_and_nothing_is_stored(app, client):
    response = await client.post("/tickets", json={**TICKET, "fields": {"amount": 1}})

    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "fields", "order_id"]]
    assert await app.state.runtime.db["tickets"].count_documents({}) == 0


async def test_an_unknown_field_is_named(client):
    response = await client.post("/tickets", json={**TICKET, "sla": "gold"})

    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "sla"]]


async def test_a_nan_field_value_is_named_and_nothing_is_stored(app, client):
    # httpx's `json=` refuses NaN; Starlette's parser accepts it, so send the raw body.
    body = (
        b'{"channel": "email", "customer": {"email": "ada@example.com"}, "subject": "Charged",'
        b' "body": "Twice.", "category": "billing", "fields": {"order_id": "42", "x": NaN}}'
    )
    response = await client.post(
        "/tickets", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "fields", "x", "float"]]
    assert await app.state.runtime.db["tickets"].count_documents({}) == 0


async def test_an_idempotent_retry_returns_the_ticket_and_publishes_nothing(
    app, client, bus_probe: BusProbe
):
    headers = {"Idempotency-Key": "crm-sync-81723"}
    first = await client.post("/tickets", json=TICKET, headers=headers)
    await bus_probe.wait_for("ticket.created.v1", subject=first.json()["id"])

    again = await client.post("/tickets", json=TICKET, headers=headers)
    conflict = await client.post("/tickets", json={**TICKET, "body": "Other"}, headers=headers)
    # Events from one publisher arrive in order: once the marker is here, any second
    # ticket.created.v1 from the retry would be too.
    marker = await open_ticket(client)
    await bus_probe.wait_for("ticket.created.v1", subject=marker["id"])

    assert (first.status_code, again.status_code, conflict.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["created_at"] == first.json()["created_at"]
    assert len(bus_probe.of_type("ticket.created.v1", first.json()["id"])) == 1
    assert await app.state.runtime.db["tickets"].count_documents({}) == 2


async def test_routing_events_update_status_and_assignee(client, bus_probe: BusProbe):
    ticket = await open_ticket(client)

    await bus_probe.publish(queued_event(ticket["id"]))
    await bus_probe.publish(assigned_event(ticket["id"], "agent-7"))

    current = await ticket_when(client, ticket["id"], lambda t: t["status"] == "open")
    assert current["assignee"] == {
        "agent_id": "agent-7",
        "name": "Grace",
        "department": "billing",
    }
    assert [entry["event_type"] for entry in current["history"]] == [
        "ticket.created.v1",
        "ticket.queued.v1",
        "ticket.assigned.v1",
    ]


async def handled_in_order(client: httpx.AsyncClient, bus_probe: BusProbe) -> None:
    """Wait until intake handled everything published so far: with prefetch=1 events are
    handled one at a time, in order, so a marker applied to another ticket proves it."""
    marker = await open_ticket(client)
    await bus_probe.publish(queued_event(marker["id"]))
    await ticket_when(client, marker["id"], lambda t: len(t["history"]) == 2)


async def test_the_same_assigned_event_twice_leaves_one_history_entry(
    app, client, bus_probe: BusProbe
):
    ticket = await open_ticket(client)
    assigned = assigned_event(ticket["id"])

    await bus_probe.publish(assigned)
    await bus_probe.publish(assigned)
    await handled_in_order(client, bus_probe)

    current = (await client.get(f"/tickets/{ticket['id']}")).json()
    kinds = [entry["event_type"] for entry in current["history"]]
    assert kinds.count("ticket.assigned.v1") == 1
    assert current["status"] == "open"
    # The ticket's own sequence refused the copy: intake keeps no inbox of handled events.
    assert await app.state.runtime.db["inbox"].find_one({"_id": assigned.id}) is None


async def test_routing_events_out_of_order_and_repeated_apply_in_routings_order(
    app, client, bus_probe: BusProbe
):
    ticket = await open_ticket(client)
    queued, first, second = (
        queued_event(ticket["id"], sequence=1),
        assigned_event(ticket["id"], "agent-1", sequence=2),
        assigned_event(ticket["id"], "agent-2", sequence=4),
    )
    requeued = queued_event(ticket["id"], sequence=3)
    # The newest first; then everything older, and copies of it under fresh ids, as a
    # producer that wrote an event twice would send them. None of those may move it back.
    for envelope in (second, first, queued, requeued, second.model_copy(update={"id": "copy"})):
        await bus_probe.publish(envelope)
    await bus_probe.publish(first.model_copy(update={"id": "copy-of-first"}))
    await handled_in_order(client, bus_probe)

    current = (await client.get(f"/tickets/{ticket['id']}")).json()
    assert current["status"] == "open"
    assert current["assignee"]["agent_id"] == "agent-2"
    assert [entry["event_type"] for entry in current["history"]] == [
        "ticket.created.v1",
        "ticket.assigned.v1",
    ]
    doc = await app.state.runtime.db["tickets"].find_one({"_id": ticket["id"]})
    assert (doc["version"], doc["sequences"]) == (2, {"routing": 4})
    assert "applied_events" not in doc

    # A newer event may move it "back": routing took the ticket from its agent. It stays
    # open for intake, but nobody owns it.
    await bus_probe.publish(queued_event(ticket["id"], sequence=5))
    current = await ticket_when(client, ticket["id"], lambda t: t["assignee"] is None)
    assert current["status"] == "open"


async def test_a_handler_rerun_after_a_crash_changes_nothing(app, client):
    """The inbox is bypassed here: the ticket document's own guard must hold."""
    ticket = await open_ticket(client)
    envelope = assigned_event(ticket["id"])
    event = envelope.payload()
    tickets = app.state.tickets

    await handlers.routing_event(envelope.position(), event, tickets)
    before = (await client.get(f"/tickets/{ticket['id']}")).json()
    await handlers.routing_event(envelope.position(), event, tickets)
    after = (await client.get(f"/tickets/{ticket['id']}")).json()

    assert after == before
    assert len(after["history"]) == 2


async def test_resolve_publishes_ticket_resolved_with_the_agent(client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    await bus_probe.publish(assigned_event(ticket["id"], "agent-3"))
    await ticket_when(client, ticket["id"], lambda t: t["status"] == "open")

    response = await client.post(
        f"/tickets/{ticket['id']}/resolve", json={"resolution": "Refunded the duplicate"}
    )
    again = await client.post(f"/tickets/{ticket['id']}/resolve")

    assert response.status_code == 200
    assert response.json()["status"] == "solved"
    assert again.status_code == 409
    [envelope] = await bus_probe.wait_for("ticket.resolved.v1", subject=ticket["id"])
    # Created 1, assigned applied with its status change 2, solved 3, ticket.resolved 4.
    assert envelope.sequence == 4
    [changed] = bus_probe.of_type("ticket.status_changed.v1", ticket["id"])[-1:]
    assert (changed.sequence, changed.data["status"], changed.data["previous"]) == (
        3,
        "solved",
        "open",
    )
    resolved = TicketResolvedV1.model_validate(envelope.data)
    assert (resolved.agent_id, resolved.resolution) == ("agent-3", "Refunded the duplicate")
    assert (await client.post("/tickets/TF-UNKNOWN0000/resolve")).status_code == 404


async def test_list_filters_by_status_and_customer(client, bus_probe: BusProbe):
    first = await open_ticket(client, customer={"email": "Zed@Example.com"})
    await open_ticket(client, customer={"email": "other@example.com"})
    await client.post(f"/tickets/{first['id']}/resolve")

    by_email = (await client.get("/tickets", params={"customer_email": "zed@example.com"})).json()
    resolved = (await client.get("/tickets", params={"status": "solved"})).json()
    newest = (await client.get("/tickets", params={"limit": 1})).json()

    assert [t["id"] for t in by_email["data"]] == [first["id"]]
    assert [t["id"] for t in resolved["data"]] == [first["id"]]
    assert (newest["count"], len(newest["data"])) == (2, 1)


async def test_categories_are_seeded_once_and_editable(app, client):
    seeded = (await client.get("/categories")).json()
    put = await client.put(
        "/categories/general", json={"required_fields": ["region"], "default_priority": "low"}
    )
    refused = await client.post("/tickets", json={**TICKET, "category": "general", "fields": {}})
    # What every start runs: it must not overwrite what an operator changed.
    await app.state.categories.seed(DEFAULT_CATEGORIES)
    after = (await client.get("/categories")).json()

    assert {c["name"] for c in seeded["data"]} == {"billing", "technical", "account", "general"}
    assert put.status_code == 200
    assert [p["loc"] for p in refused.json()["detail"]] == [["body", "fields", "region"]]
    general = next(c for c in after["data"] if c["name"] == "general")
    assert (general["required_fields"], general["default_priority"]) == (["region"], "low")
    assert after["count"] == 4


async def test_an_event_for_an_unknown_ticket_is_retried_then_dead_lettered(
    namespace: Namespace, bus_probe: BusProbe
):
    app = intake_app(namespace, max_delivery_attempts=2)
    envelope = assigned_event("TF-NEVERCREATED")
    async with serve_in_process(app):
        await bus_probe.publish(envelope)
        dead = await _dead_letter(namespace, f"{namespace.queue_prefix}intake.events.dlq")
    assert Envelope.model_validate_json(dead.body).id == envelope.id


async def _dead_letter(namespace: Namespace, queue_name: str) -> aio_pika.IncomingMessage:
    connection = await aio_pika.connect(namespace.servers.amqp_url)
    async with connection, asyncio.timeout(20):
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=True)
        while True:
            message = await queue.get(fail=False, no_ack=True)
            if message is not None:
                return message
            await asyncio.sleep(0.1)


def escalated_event(ticket_id: str, priority: Priority | None, source: str = "routing") -> Envelope:
    event = TicketEscalatedV1(
        ticket_id=ticket_id,
        source=source,
        trigger=EscalationTrigger.sla,
        reason="SLA first_response breached (policy standard)",
        priority=priority,
        page_supervisor=True,
        escalated_at=datetime.now(UTC),
    )
    return Envelope.wrap(event, source=f"/ticketflow/{source}", subject=ticket_id)


async def test_another_services_escalation_raises_the_priority_once(client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    assert ticket["priority"] == "high"  # a billing ticket's

    escalation = escalated_event(ticket["id"], Priority.urgent)
    await bus_probe.publish(escalation)
    await bus_probe.publish(escalation.model_copy(update={"id": "a-copy-of-it"}))
    raised = await ticket_when(client, ticket["id"], lambda t: t["priority"] == "urgent")
    [updated] = await bus_probe.wait_for("ticket.updated.v1", subject=ticket["id"])
    assert (updated.data["priority"], updated.data["actor"]) == ("urgent", "system:routing")

    # Neither a lower priority, nor one without a priority, nor intake's own, changes it.
    await bus_probe.publish(escalated_event(ticket["id"], Priority.low))
    await bus_probe.publish(escalated_event(ticket["id"], None))
    await handled_in_order(client, bus_probe)
    current = (await client.get(f"/tickets/{ticket['id']}")).json()
    assert current["priority"] == "urgent"
    assert len(current["history"]) == len(raised["history"])
    assert len(bus_probe.of_type("ticket.updated.v1", ticket["id"])) == 1


async def test_intakes_own_escalation_is_not_applied_again(client, bus_probe: BusProbe):
    ticket = await open_ticket(client)
    await bus_probe.publish(escalated_event(ticket["id"], Priority.urgent, source="intake"))
    await handled_in_order(client, bus_probe)
    assert (await client.get(f"/tickets/{ticket['id']}")).json()["priority"] == ticket["priority"]
