"""Handoff routes over in-memory repositories: who may do what, and 422s naming what is
missing."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from handoff_fakes import FakeChecklists, FakeHandoffViews
from intake_fakes import BILLING, GENERAL, TICKET, FakeCategories, FakeTickets

from credentials import act_as
from intake.bootstrap import install_api
from intake.domain.handoffs import ChecklistItem, HandoffChecklist
from intake.handoffs_api import install_handoffs
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.events import TicketConsultedV1, TicketTransferredV1

TECHNICAL = HandoffChecklist(
    "technical", (ChecklistItem("repro", "Steps to reproduce"), ChecklistItem("logs", "Logs"))
)
NOTE = "Router drops the line every hour; billing checked the invoice."


def person(name: str, role: Role, *departments: str) -> Principal:
    return Principal(
        id=name, kind="user", roles=frozenset({role}), departments=frozenset(departments)
    )


ANA = person("ana", Role.agent, "billing")
CARLA = person("carla", Role.agent, "technical")
EVA = person("eva", Role.agent, "accounts")
VIEWER = person("billing-viewer", Role.viewer, "billing")


class Desk:
    def __init__(self, app: FastAPI, http: httpx.AsyncClient, tickets: FakeTickets) -> None:
        self.app, self.http, self.tickets = app, http, tickets

    def as_(self, principal: Principal) -> httpx.AsyncClient:
        act_as(self.app, principal)
        return self.http

    async def billing_ticket(self) -> str:
        response = await self.as_(ANA).post("/tickets", json=TICKET)
        assert response.status_code == 201, response.text
        return response.json()["id"]


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    app = FastAPI()
    tickets = FakeTickets()
    install_api(app, tickets, FakeCategories(BILLING, GENERAL))
    install_handoffs(app, FakeChecklists(TECHNICAL), FakeHandoffViews(tickets))
    act_as(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Desk(app, http, tickets)


def locations(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


async def test_an_admin_puts_a_checklist_and_anyone_signed_in_reads_it(desk):
    body = {
        "items": [{"key": "repro", "label": "Steps to reproduce"}],
        "by_category": {"billing": [{"key": "invoice", "label": "Invoice", "required": False}]},
    }
    put = await desk.as_(person("root", Role.admin)).put("/handoff-checklists/accounts", json=body)
    refused = await desk.as_(ANA).put("/handoff-checklists/accounts", json=body)
    one = await desk.as_(ANA).get("/handoff-checklists/accounts")
    listed = await desk.as_(ANA).get("/handoff-checklists")

    assert (put.status_code, refused.status_code, one.status_code) == (200, 403, 200)
    assert one.json() == {
        "department": "accounts",
        "items": [{"key": "repro", "label": "Steps to reproduce", "required": True}],
        "by_category": {"billing": [{"key": "invoice", "label": "Invoice", "required": False}]},
    }
    assert [c["department"] for c in listed.json()["data"]] == ["accounts", "technical"]
    assert (await desk.http.get("/handoff-checklists/nobody")).status_code == 404


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"items": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, ["body", "items"]),
        ({"items": [{"key": "Not A Key", "label": "A"}]}, ["body", "items", 0, "key"]),
        ({"items": [{"key": "a", "label": ""}]}, ["body", "items", 0, "label"]),
        ({"items": [{"key": f"k{n}", "label": "x"} for n in range(31)]}, ["body", "items"]),
        (
            {"by_category": {"billing": [{"key": "a", "label": "A"}, {"key": "a", "label": "A"}]}},
            ["body", "by_category"],
        ),
        ({"by_category": {"Bad Name": []}}, ["body", "by_category", "Bad Name", "[key]"]),
        ({"items": [], "extra": 1}, ["body", "extra"]),
    ],
)
async def test_a_bad_checklist_is_422_naming_what_is_wrong(desk, body, location):
    response = await desk.http.put("/handoff-checklists/technical", json=body)
    assert location in locations(response)
    assert desk.app.state.checklists.stored["technical"] == TECHNICAL


async def test_a_department_name_with_control_characters_is_refused(desk):
    response = await desk.http.put("/handoff-checklists/tech%00nical", json={"items": []})
    assert locations(response) == [["path", "department"]]
    assert sorted(desk.app.state.checklists.stored) == ["technical"]


async def test_a_transfer_names_the_note_and_each_unticked_item_and_changes_nothing(desk):
    ticket_id = await desk.billing_ticket()
    before = desk.tickets.stored[ticket_id]

    response = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/transfer", json={"department": "technical", "checklist": ["cake"]}
    )

    assert locations(response) == [
        ["body", "note"],
        ["body", "checklist", "repro"],
        ["body", "checklist", "logs"],
        ["body", "checklist", "cake"],
    ]
    assert desk.tickets.stored[ticket_id] == before


async def test_a_transfer_moves_the_ticket_and_records_ticket_transferred(desk):
    ticket_id = await desk.billing_ticket()
    body = {"department": "technical", "note": NOTE, "checklist": ["repro", "logs"]}

    response = await desk.as_(ANA).post(f"/tickets/{ticket_id}/transfer", json=body)

    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["department"], moved["assignee"], moved["status"]) == ("technical", None, "new")
    [billing, technical] = moved["ownership"]["periods"]
    assert (billing["department"], billing["handed_to"]) == ("billing", "technical")
    assert (technical["handed_from"], technical["note"]) == ("billing", NOTE)
    event = desk.tickets.published[-1]
    assert isinstance(event, TicketTransferredV1)
    assert (event.actor, event.checklist, event.to_department) == (
        "user:ana",
        ["repro", "logs"],
        "technical",
    )
    # Billing keeps reading it; technical now sees it too.
    assert (await desk.as_(ANA).get(f"/tickets/{ticket_id}")).status_code == 200
    assert (await desk.as_(CARLA).get(f"/tickets/{ticket_id}")).status_code == 200


async def test_who_may_transfer(desk):
    ticket_id = await desk.billing_ticket()
    body = {"department": "accounts", "note": NOTE}

    viewer = await desk.as_(VIEWER).post(f"/tickets/{ticket_id}/transfer", json=body)
    stranger = await desk.as_(CARLA).post(f"/tickets/{ticket_id}/transfer", json=body)
    owner = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/transfer", json={**body, "department": "billing"}
    )
    unknown = await desk.as_(ANA).post("/tickets/TF-NONE/transfer", json=body)

    assert (viewer.status_code, stranger.status_code, owner.status_code) == (403, 404, 409)
    assert unknown.status_code == 404
    assert not any(isinstance(e, TicketTransferredV1) for e in desk.tickets.published)


async def test_a_consult_is_answered_by_the_consulted_department_only(desk):
    ticket_id = await desk.billing_ticket()

    asked = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "accounts", "question": "Verified?"}
    )
    assert asked.status_code == 201, asked.text
    consult_id = asked.json()["id"]
    answer_path = f"/tickets/{ticket_id}/consults/{consult_id}/answer"
    by_billing = await desk.as_(ANA).post(answer_path, json={"answer": "Sure"})
    by_technical = await desk.as_(CARLA).post(answer_path, json={"answer": "Sure"})
    by_accounts = await desk.as_(EVA).post(answer_path, json={"answer": "Yes, in May."})
    again = await desk.as_(EVA).post(answer_path, json={"answer": "Again"})
    ticket = (await desk.as_(EVA).get(f"/tickets/{ticket_id}")).json()

    assert (by_billing.status_code, by_technical.status_code) == (403, 404)
    assert (by_accounts.status_code, again.status_code) == (200, 409)
    assert by_accounts.json()["answered_by"] == "user:eva"
    assert ticket["department"] == "billing"
    assert [(c["status"], c["answer"]) for c in ticket["consults"]] == [
        ("answered", "Yes, in May.")
    ]
    consulted = [e for e in desk.tickets.published if isinstance(e, TicketConsultedV1)]
    assert [e.status for e in consulted] == ["open", "answered"]


async def test_an_open_consult_waits_on_the_consulted_agents_desk_until_answered(desk):
    ticket_id = await desk.billing_ticket()
    asked = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "accounts", "question": "Verified?"}
    )
    consult_id = asked.json()["id"]

    waiting = (await desk.as_(EVA).get("/desk")).json()["consults"]
    elsewhere = (await desk.as_(CARLA).get("/desk")).json()["consults"]
    await desk.as_(EVA).post(
        f"/tickets/{ticket_id}/consults/{consult_id}/answer", json={"answer": "Yes."}
    )
    answered = (await desk.as_(EVA).get("/desk")).json()["consults"]

    assert [(c["id"], c["ticket_id"], c["question"]) for c in waiting] == [
        (consult_id, ticket_id, "Verified?")
    ]
    assert (elsewhere, answered) == ([], [])


async def test_consulting_the_owner_is_409_and_an_unknown_consult_404(desk):
    ticket_id = await desk.billing_ticket()
    own = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "billing", "question": "?"}
    )
    missing = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults/C-none/answer", json={"answer": "x"}
    )
    assert (own.status_code, missing.status_code) == (409, 404)


async def test_past_owners_and_consulted_departments_read_but_do_not_work_on_it(desk):
    ticket_id = await desk.billing_ticket()
    asked = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "accounts", "question": "?"}
    )
    assert asked.status_code == 201
    moved = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/transfer",
        json={"department": "technical", "note": NOTE, "checklist": ["repro", "logs"]},
    )
    assert moved.status_code == 200

    for who in (ANA, EVA):
        client = desk.as_(who)
        assert (await client.get(f"/tickets/{ticket_id}")).status_code == 200
        back = await client.post(
            f"/tickets/{ticket_id}/transfer", json={"department": "front-desk", "note": NOTE}
        )
        ask = await client.post(
            f"/tickets/{ticket_id}/consults", json={"department": "legal", "question": "?"}
        )
        solve = await client.post(f"/tickets/{ticket_id}/resolve")
        assert (back.status_code, ask.status_code, solve.status_code) == (403, 403, 403)
    assert (await desk.as_(CARLA).post(f"/tickets/{ticket_id}/resolve")).status_code == 200


async def test_an_agent_follows_what_they_held_and_a_department_lists_its_consults(desk):
    ticket_id = await desk.billing_ticket()
    await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "accounts", "question": "?"}
    )

    consults = (await desk.as_(EVA).get("/consults")).json()
    elsewhere = (await desk.as_(CARLA).get("/consults")).json()
    viewer = await desk.as_(person("v", Role.viewer, "accounts")).get("/consults")
    following = await desk.as_(ANA).get("/following")

    assert [(c["ticket_id"], c["department"]) for c in consults["data"]] == [
        (ticket_id, "accounts")
    ]
    assert (elsewhere["count"], viewer.status_code) == (0, 200)
    # Nobody has held it yet: the department owns it, no agent does.
    assert following.json() == {"data": [], "count": 0}
    assert (await desk.as_(VIEWER).get("/following")).status_code == 403


async def test_a_customer_facing_system_never_reads_handoff_notes_or_consults(desk):
    crm = Principal("crm", "key", frozenset({Role.integration}))
    created = await desk.as_(crm).post("/tickets", json=TICKET)
    ticket_id = created.json()["id"]
    await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/consults", json={"department": "accounts", "question": "Fraud?"}
    )
    moved = await desk.as_(ANA).post(
        f"/tickets/{ticket_id}/transfer",
        json={"department": "technical", "note": NOTE, "checklist": ["repro", "logs"]},
    )
    assert moved.status_code == 200, moved.text

    seen_by_crm = (await desk.as_(crm).get(f"/tickets/{ticket_id}")).json()
    listed_for_crm = (await desk.as_(crm).get("/tickets")).json()["data"]
    seen_by_staff = (await desk.as_(CARLA).get(f"/tickets/{ticket_id}")).json()

    assert NOTE in [p["note"] for p in seen_by_staff["ownership"]["periods"]]
    assert len(seen_by_staff["consults"]) == 1
    for ticket in (seen_by_crm, *listed_for_crm):
        assert [p["note"] for p in ticket["ownership"]["periods"]] == [None] * len(
            ticket["ownership"]["periods"]
        )
        assert ticket["consults"] == []
    assert "Fraud?" not in str(seen_by_crm) and NOTE not in str(listed_for_crm)
