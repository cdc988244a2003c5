"""The lifecycle, conversation, procedure and desk routes over in-memory repositories, as
the people and systems who call them."""

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from handoff_fakes import FakeChecklists, FakeHandoffViews
from intake_fakes import (
    BILLING,
    GENERAL,
    T0,
    TICKET,
    FakeCategories,
    FakeCloseClaims,
    FakeTickets,
    assigned,
    routing,
)

from intake import auto_close, handlers
from intake.bootstrap import install_api
from intake.handoffs_api import install_handoffs
from ticketflow_shared.access.guard import caller
from ticketflow_shared.access.principal import Principal, Role

ADMIN = Principal("root", "user", frozenset({Role.admin}))
ANA = Principal("ana", "user", frozenset({Role.agent}), frozenset({"billing"}), "Ana Lopez")
CARLA = Principal("carla", "user", frozenset({Role.agent}), frozenset({"technical"}), "Carla")
CRM = Principal("crm", "key", frozenset({Role.integration}))
STEPS = {
    "steps": [
        {"key": "verify", "label": "Verify the customer", "required": True},
        {"key": "refund", "label": "Refund", "required": True, "macros": ["MC-1"]},
        {"key": "survey", "label": "Offer the survey"},
    ]
}


class Desk:
    """One app; `as_(principal)` says who the next requests come from."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient, tickets: FakeTickets) -> None:
        self.app, self.http, self.tickets = app, http, tickets

    def as_(self, principal: Principal) -> httpx.AsyncClient:
        self.app.dependency_overrides[caller] = lambda: principal
        return self.http

    async def ticket(self, by: Principal = CRM, **changes) -> dict:
        created = await self.as_(by).post("/tickets", json={**TICKET, **changes})
        assert created.status_code == 201, created.text
        return created.json()

    async def assign(self, ticket_id: str, agent_id: str = "ana", sequence: int = 1) -> None:
        event = assigned(ticket_id, agent_id).model_copy(update={"department": "billing"})
        await handlers.ticket_assigned(routing(sequence), event, self.tickets)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    app = FastAPI()
    tickets = FakeTickets()
    install_api(app, tickets, FakeCategories(BILLING, GENERAL))
    install_handoffs(app, FakeChecklists(), FakeHandoffViews(tickets))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Desk(app, http, tickets)


async def test_status_changes_follow_the_lifecycle_and_a_refusal_names_the_state(desk):
    ticket = await desk.ticket()
    await desk.assign(ticket["id"])
    ana = desk.as_(ANA)

    pending = await ana.post(f"/tickets/{ticket['id']}/status", json={"status": "pending"})
    again = await ana.post(f"/tickets/{ticket['id']}/status", json={"status": "pending"})
    queued = await ana.post(f"/tickets/{ticket['id']}/status", json={"status": "queued"})

    assert pending.status_code == 200, pending.text
    assert pending.json()["status"] == "pending"
    assert pending.json()["history"][-1]["actor"] == "user:ana"
    assert again.status_code == 409
    assert "is pending" in again.json()["detail"]
    assert queued.status_code == 422


async def test_another_departments_agent_sees_a_404(desk):
    ticket = await desk.ticket()
    carla = desk.as_(CARLA)

    for response in (
        await carla.post(f"/tickets/{ticket['id']}/status", json={"status": "solved"}),
        await carla.post(
            f"/tickets/{ticket['id']}/messages", json={"body": "hi", "visibility": "public"}
        ),
        await carla.get(f"/tickets/{ticket['id']}/messages"),
        await carla.get(f"/tickets/{ticket['id']}/view"),
    ):
        assert response.status_code == 404


async def test_an_integration_reads_public_messages_only_and_staff_read_notes(desk):
    ticket = await desk.ticket()
    ana = desk.as_(ANA)
    note = await ana.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "VIP", "visibility": "internal"}
    )
    public = await ana.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "On it", "visibility": "public"}
    )
    assert (note.status_code, public.status_code) == (201, 201)
    assert public.json()["author"] == "user:ana"
    assert (public.json()["author_name"], public.json()["agent_id"]) == ("Ana Lopez", "ana")

    staff = (await ana.get(f"/tickets/{ticket['id']}/messages")).json()
    crm = (await desk.as_(CRM).get(f"/tickets/{ticket['id']}/messages")).json()
    crm_view = (await desk.as_(CRM).get(f"/tickets/{ticket['id']}/view")).json()

    assert [m["body"] for m in staff["data"]] == ["VIP", "On it"]
    assert [m["body"] for m in crm["data"]] == ["On it"]
    assert [m["body"] for m in crm_view["thread"]] == ["On it"]
    first = (await ana.get(f"/tickets/{ticket['id']}")).json()["first_response_at"]
    assert first == public.json()["at"]


async def test_an_integration_may_not_post_staff_messages(desk):
    ticket = await desk.ticket()
    response = await desk.as_(CRM).post(
        f"/tickets/{ticket['id']}/messages", json={"body": "x", "visibility": "public"}
    )
    assert response.status_code == 403


async def test_message_bodies_are_bounded_and_reply_targets_checked(desk):
    ticket = await desk.ticket()
    ana = desk.as_(ANA)

    long = await ana.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "x" * 5001, "visibility": "public"}
    )
    unknown = await ana.post(
        f"/tickets/{ticket['id']}/messages",
        json={"body": "x", "visibility": "public", "in_reply_to": "M-" + "a" * 24},
    )

    assert long.status_code == 422
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "in_reply_to"]


async def test_a_customer_message_reopens_a_solved_ticket(desk):
    ticket = await desk.ticket()
    await desk.as_(ANA).post(f"/tickets/{ticket['id']}/resolve")

    posted = await desk.as_(CRM).post(
        f"/tickets/{ticket['id']}/customer-messages", json={"body": "Still broken"}
    )

    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert (body["follow_up"], body["ticket"]["id"]) == (False, ticket["id"])
    assert (body["ticket"]["status"], body["ticket"]["reopen_count"]) == ("open", 1)
    assert (body["message"]["author_kind"], body["message"]["author_name"]) == ("customer", "Ada")


async def test_a_customer_message_on_a_closed_ticket_starts_a_linked_follow_up(desk):
    ticket = await desk.ticket()
    await desk.as_(ANA).post(f"/tickets/{ticket['id']}/resolve")
    await auto_close.close_due(
        desk.tickets, FakeCloseClaims(), T0 + timedelta(days=3650), timedelta(days=4)
    )

    posted = await desk.as_(CRM).post(
        f"/tickets/{ticket['id']}/customer-messages", json={"body": "It broke again"}
    )

    assert posted.status_code == 201, posted.text
    follow_up = posted.json()["ticket"]
    assert posted.json()["follow_up"] is True
    assert follow_up["id"] != ticket["id"]
    assert (follow_up["follow_up_of"], follow_up["body"]) == (ticket["id"], "It broke again")
    assert (follow_up["category"], follow_up["department"]) == ("billing", "billing")
    assert follow_up["customer"] == ticket["customer"]
    old = (await desk.as_(CRM).get(f"/tickets/{ticket['id']}")).json()
    assert (old["status"], old["follow_ups"]) == ("closed", [follow_up["id"]])


async def test_procedure_ticks_and_the_solve_check(desk):
    put = await desk.as_(ADMIN).put("/categories/billing/procedure", json=STEPS)
    assert put.status_code == 200, put.text
    ticket = await desk.ticket()
    ana = desk.as_(ANA)

    ticked = await ana.post(f"/tickets/{ticket['id']}/procedure/verify")
    unknown = await ana.post(f"/tickets/{ticket['id']}/procedure/nope")
    refused = await ana.post(f"/tickets/{ticket['id']}/status", json={"status": "solved"})
    resolve = await ana.post(f"/tickets/{ticket['id']}/resolve")
    unticked = await ana.delete(f"/tickets/{ticket['id']}/procedure/verify")

    assert ticked.status_code == 200
    verify = ticked.json()["steps"][0]
    assert (verify["done"], verify["done_by"]) == (True, "user:ana")
    assert (ticked.json()["done"], ticked.json()["required_left"]) == (1, 1)
    assert unknown.status_code == 404
    assert refused.status_code == 422
    assert [p["loc"] for p in refused.json()["detail"]] == [["procedure", "refund"]]
    assert resolve.status_code == 422
    assert unticked.json()["done"] == 0
    stored = (await ana.get(f"/tickets/{ticket['id']}")).json()
    assert stored["status"] == "new"
    assert stored["procedure"]["total"] == 3


async def test_a_procedure_is_validated_and_needs_an_admin_and_a_category(desk):
    admin = desk.as_(ADMIN)
    repeated = await admin.put(
        "/categories/billing/procedure",
        json={"steps": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]},
    )
    too_many = await admin.put(
        "/categories/billing/procedure",
        json={"steps": [{"key": f"s{n}", "label": "S"} for n in range(31)]},
    )
    control = await admin.put(
        "/categories/billing/procedure", json={"steps": [{"key": "a", "label": "A\u2028B"}]}
    )
    unknown = await admin.put("/categories/nothing/procedure", json=STEPS)
    by_agent = await desk.as_(ANA).put("/categories/billing/procedure", json=STEPS)

    assert (repeated.status_code, too_many.status_code, control.status_code) == (422, 422, 422)
    assert unknown.status_code == 404
    assert by_agent.status_code == 403


async def test_the_desk_lists_the_callers_tickets_in_work_order(desk):
    low = await desk.ticket(priority="low")
    urgent = await desk.ticket(priority="urgent")
    waiting = await desk.ticket()
    others = await desk.ticket()
    for n, t in enumerate((low, urgent, waiting)):
        await desk.assign(t["id"], "ana", n + 1)
    await desk.assign(others["id"], "ben", 9)
    await desk.as_(ANA).post(f"/tickets/{waiting['id']}/status", json={"status": "pending"})

    mine = await desk.as_(ANA).get("/desk")

    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [t["id"] for t in body["open"]] == [urgent["id"], low["id"]]
    assert [t["id"] for t in body["pending"]] == [waiting["id"]]
    assert (body["on_hold"], body["count"], body["agent_id"]) == ([], 3, "ana")
    assert body["open"][0]["procedure"] == {"done": 0, "total": 0, "required_left": 0}
    assert (await desk.as_(CRM).get("/desk")).status_code == 403


async def test_the_view_shows_history_procedure_customer_and_their_other_tickets(desk):
    first = await desk.ticket()
    second = await desk.ticket()
    elsewhere = await desk.ticket(customer={"email": "zed@example.com"})

    view = (await desk.as_(ANA).get(f"/tickets/{second['id']}/view")).json()

    assert view["ticket"]["id"] == second["id"]
    assert [h["event_type"] for h in view["history"]] == ["ticket.created.v1"]
    assert view["customer"] == {"email": "ada@example.com", "name": "Ada", "customer_id": None}
    assert [t["id"] for t in view["other_tickets"]] == [first["id"]]
    assert elsewhere["id"] not in [t["id"] for t in view["other_tickets"]]
    assert view["procedure"]["steps"] == []


async def test_a_past_owner_reads_the_thread_but_changes_nothing(desk):
    ticket = await desk.ticket()
    stored = await desk.tickets.get(ticket["id"])
    assert stored is not None
    version = stored.version
    stored.transfer(
        to_department="technical",
        skill=None,
        note="Router drops the line",
        ticked=[],
        checklist=None,
        actor="user:ana",
        now=T0,
    )
    await desk.tickets.save(stored, version)
    ana = desk.as_(ANA)

    status = await ana.post(f"/tickets/{ticket['id']}/status", json={"status": "solved"})
    note = await ana.post(
        f"/tickets/{ticket['id']}/messages", json={"body": "x", "visibility": "internal"}
    )
    tick = await ana.post(f"/tickets/{ticket['id']}/procedure/verify")
    thread = await ana.get(f"/tickets/{ticket['id']}/messages")

    assert (status.status_code, note.status_code, tick.status_code) == (403, 403, 403)
    assert thread.status_code == 200
