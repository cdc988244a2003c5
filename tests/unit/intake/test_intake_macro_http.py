"""Macros and ticket changes over HTTP on in-memory stores: who may do what, and the 422s."""

from collections.abc import AsyncIterator

import httpx
import pytest
from intake_fakes import TICKET, FakeTickets
from macro_fakes import (
    ANA,
    BILLING_SUPERVISOR,
    BILLING_VIEWER,
    CARLA,
    FakeMacros,
    macro_app,
    person,
)

from credentials import ADMIN, act_as
from ticketflow_shared.access.principal import Principal, Role

ASK_FOR_ORDER = {
    "title": "Ask for the order number",
    "department": "billing",
    "categories": ["billing"],
    "reply": {"body": "Hello {{ customer.name }}, which order? {{ agent.name }}"},
    "set_status": "pending",
    "set_priority": "urgent",
    "add_tags": ["Waiting"],
}
THANKS = {"title": "Thanks", "reply": {"body": "Thank you!", "visibility": "internal"}}


class Api:
    """One app whose caller each step names."""

    def __init__(self, app, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http

    def as_(self, principal: Principal) -> httpx.AsyncClient:
        act_as(self.app, principal)
        return self.http


@pytest.fixture
def macros() -> FakeMacros:
    return FakeMacros()


@pytest.fixture
async def api(tickets: FakeTickets, macros: FakeMacros) -> AsyncIterator[Api]:
    app = macro_app(tickets, macros)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(app, http)


async def put(api: Api, macro_id: str, body: dict, who: Principal = ADMIN) -> httpx.Response:
    return await api.as_(who).put(f"/macros/{macro_id}", json=body)


async def billing_ticket(api: Api) -> dict:
    response = await api.as_(ADMIN).post("/tickets", json=TICKET)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_macro_is_created_then_replaced_and_read_back(api):
    created = await put(api, "ask-order", ASK_FOR_ORDER, BILLING_SUPERVISOR)
    replaced = await put(api, "ask-order", {**ASK_FOR_ORDER, "title": "Order?"}, BILLING_SUPERVISOR)
    read = await api.as_(ANA).get("/macros/ask-order")

    assert (created.status_code, replaced.status_code, read.status_code) == (201, 200, 200)
    assert read.json() == replaced.json()
    assert read.json()["title"] == "Order?"
    assert read.json()["add_tags"] == ["waiting"]
    assert read.json()["reply"] == {**ASK_FOR_ORDER["reply"], "visibility": "public"}
    assert read.json()["updated_by"] == "user:sue"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"reply": {"body": "{{ ticket.nope }}"}}, ["body", "reply", "body"]),
        ({"reply": {"body": "{{ ''.__class__.__mro__ }}"}}, ["body", "reply", "body"]),
        (
            {"reply": {"body": "{% for i in range(10**9) %}x{% endfor %}"}},
            ["body", "reply", "body"],
        ),
        ({"reply": {"body": "x" * 10_001}}, ["body", "reply", "body"]),
        ({"reply": {"body": "Hi", "visibility": "shouted"}}, ["body", "reply", "visibility"]),
        ({"set_status": "closed"}, ["body", "set_status"]),
        ({"set_priority": "whenever"}, ["body", "set_priority"]),
        ({"add_tags": ["not a tag"]}, ["body", "add_tags", 0]),
        ({"remove_tags": ["waiting"]}, ["body", "add_tags"]),
        ({"categories": ["gardening"]}, ["body", "categories", 0]),
        ({"title": ""}, ["body", "title"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
async def test_a_bad_macro_is_refused_naming_what_is_wrong(api, macros, change, location):
    response = await put(api, "ask-order", {**ASK_FOR_ORDER, **change})

    assert response.status_code == 422, response.text
    assert location in [problem["loc"] for problem in response.json()["detail"]]
    assert macros.stored == {}


async def test_a_bad_macro_id_is_refused(api):
    response = await put(api, "Not_A_Slug", THANKS)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "macro_id"]


async def test_a_macro_that_does_nothing_is_refused(api):
    response = await put(api, "empty", {"title": "Nothing"})
    assert response.status_code == 422
    assert "must do something" in response.json()["detail"][0]["msg"]


async def test_supervisors_write_their_own_departments_macros_only(api):
    other = await put(api, "tech", {**THANKS, "department": "technical"}, BILLING_SUPERVISOR)
    everyone = await put(api, "thanks", THANKS, BILLING_SUPERVISOR)
    agent = await put(api, "mine", {**THANKS, "department": "billing"}, ANA)
    viewer = await put(api, "mine", {**THANKS, "department": "billing"}, BILLING_VIEWER)

    assert (other.status_code, everyone.status_code) == (403, 403)
    assert (agent.status_code, viewer.status_code) == (403, 403)


async def test_a_supervisor_cannot_take_over_or_delete_another_departments_macro(api, macros):
    assert (await put(api, "tech", {**THANKS, "department": "technical"})).status_code == 201
    assert (await put(api, "thanks", THANKS)).status_code == 201

    takeover = await put(api, "tech", {**THANKS, "department": "billing"}, BILLING_SUPERVISOR)
    delete_hidden = await api.as_(BILLING_SUPERVISOR).delete("/macros/tech")
    delete_everyones = await api.as_(BILLING_SUPERVISOR).delete("/macros/thanks")

    assert (takeover.status_code, delete_hidden.status_code) == (404, 404)
    assert delete_everyones.status_code == 403
    assert set(macros.stored) == {"tech", "thanks"}


async def test_a_macro_is_deleted(api, macros):
    await put(api, "ask-order", ASK_FOR_ORDER, BILLING_SUPERVISOR)

    deleted = await api.as_(BILLING_SUPERVISOR).delete("/macros/ask-order")
    again = await api.as_(BILLING_SUPERVISOR).delete("/macros/ask-order")

    assert (deleted.status_code, again.status_code) == (204, 404)
    assert macros.stored == {}


async def test_the_list_holds_what_the_caller_may_use_filtered_to_what_applies(api):
    await put(api, "ask-order", ASK_FOR_ORDER)
    await put(api, "thanks", THANKS)
    await put(api, "tech", {**THANKS, "department": "technical", "categories": ["general"]})

    async def ids(who: Principal, query: str = "") -> list[str]:
        response = await api.as_(who).get(f"/macros{query}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == len(body["data"])
        return [macro["id"] for macro in body["data"]]

    assert await ids(ANA) == ["ask-order", "thanks"]
    assert await ids(CARLA) == ["tech", "thanks"]
    assert await ids(ADMIN) == ["ask-order", "tech", "thanks"]
    assert await ids(ADMIN, "?category=billing") == ["ask-order", "thanks"]
    assert await ids(ADMIN, "?department=technical") == ["tech", "thanks"]
    assert await ids(ADMIN, "?category=general&department=billing") == ["thanks"]
    assert (await api.as_(CARLA).get("/macros/ask-order")).status_code == 404


async def test_patch_changes_priority_and_tags(api, tickets):
    ticket = await billing_ticket(api)

    response = await api.as_(ANA).patch(
        f"/tickets/{ticket['id']}", json={"priority": "urgent", "tags": ["VIP", "refund"]}
    )
    tags_only = await api.as_(ANA).patch(f"/tickets/{ticket['id']}", json={"tags": []})

    assert response.status_code == 200, response.text
    assert (response.json()["priority"], response.json()["tags"]) == ("urgent", ["vip", "refund"])
    assert (tags_only.json()["priority"], tags_only.json()["tags"]) == ("urgent", [])
    updates = [e for e in tickets.published if e.event_type == "ticket.updated.v1"]
    assert [(e.priority, e.tags, e.actor) for e in updates] == [
        ("urgent", ["vip", "refund"], "user:ana"),
        ("urgent", [], "user:ana"),
    ]


async def test_patch_is_for_staff_who_see_the_ticket(api):
    ticket = await billing_ticket(api)
    path = f"/tickets/{ticket['id']}"

    other_department = await api.as_(CARLA).patch(path, json={"priority": "low"})
    viewer = await api.as_(BILLING_VIEWER).patch(path, json={"priority": "low"})
    nothing = await api.as_(ANA).patch(path, json={})
    bad_tag = await api.as_(ANA).patch(path, json={"tags": ["no spaces"]})

    assert (other_department.status_code, viewer.status_code) == (404, 403)
    assert (nothing.status_code, bad_tag.status_code) == (422, 422)
    assert bad_tag.json()["detail"][0]["loc"] == ["body", "tags", 0]


async def test_a_preview_shows_what_applying_would_do_and_changes_nothing(api, tickets):
    ticket = await billing_ticket(api)
    await put(api, "ask-order", ASK_FOR_ORDER)
    published = len(tickets.published)

    response = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/ask-order/preview")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "reply": {"body": "Hello Ada, which order? Ana", "visibility": "public"},
        "status": "pending",
        "priority": "urgent",
        "tags": ["waiting"],
    }
    assert (await api.as_(ANA).get(f"/tickets/{ticket['id']}")).json() == ticket
    assert len(tickets.published) == published


async def test_a_preview_is_refused_for_a_macro_or_ticket_the_caller_cannot_see(api):
    ticket = await billing_ticket(api)
    await put(api, "ask-order", ASK_FOR_ORDER)
    await put(api, "tech", {**THANKS, "department": "technical"})

    hidden_ticket = await api.as_(CARLA).post(f"/tickets/{ticket['id']}/macros/tech/preview")
    hidden_macro = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/tech/preview")
    not_for_it = await api.as_(ADMIN).post(f"/tickets/{ticket['id']}/macros/tech/preview")

    assert (hidden_ticket.status_code, hidden_macro.status_code) == (404, 404)
    assert not_for_it.status_code == 422
    assert not_for_it.json()["detail"][0]["loc"] == ["path", "macro_id"]


async def test_a_reply_that_cannot_be_written_for_this_ticket_is_a_422(api):
    ticket = await billing_ticket(api)
    await put(api, "amount", {"title": "Amount", "reply": {"body": "{{ ticket.fields.amount }}"}})

    response = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/amount/preview")

    assert response.status_code == 422
    assert "amount" in response.json()["detail"][0]["msg"]
    # The request has no body: what does not fit the ticket is the macro.
    assert response.json()["detail"][0]["loc"] == ["path", "macro_id"]
    applied = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/amount/apply")
    assert applied.status_code == 422
    assert applied.json()["detail"][0]["loc"] == ["path", "macro_id"]


async def test_a_macro_that_would_leave_too_many_tags_is_refused_naming_the_macro(api):
    ticket = await billing_ticket(api)
    full = [f"tag-{n}" for n in range(20)]
    assert (await api.as_(ANA).patch(f"/tickets/{ticket['id']}", json={"tags": full})).is_success
    await put(api, "one-more", {"title": "One more", "add_tags": ["escalated"]})

    for step in ("preview", "apply"):
        response = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/one-more/{step}")
        assert response.status_code == 422, response.text
        [problem] = response.json()["detail"]
        assert (problem["type"], problem["loc"]) == ("invalid_tags", ["path", "macro_id"])


async def test_applying_a_retagging_macro_changes_the_ticket_once(api, tickets):
    ticket = await billing_ticket(api)
    escalate = {"title": "Escalate", "set_priority": "urgent", "add_tags": ["escalated"]}
    await put(api, "escalate", escalate)

    applied = await api.as_(ANA).post(f"/tickets/{ticket['id']}/macros/escalate/apply")
    hidden = await api.as_(CARLA).post(f"/tickets/{ticket['id']}/macros/escalate/apply")

    assert (applied.status_code, hidden.status_code) == (200, 404)
    assert (applied.json()["priority"], applied.json()["tags"]) == ("urgent", ["escalated"])
    assert [e.event_type for e in tickets.published] == ["ticket.created.v1", "ticket.updated.v1"]


async def test_only_admins_write_the_macros_for_everyone(api):
    every_department = person("lead", Role.supervisor, "*")

    refused = await put(api, "thanks", THANKS, every_department)
    allowed = await put(api, "tech", {**THANKS, "department": "technical"}, every_department)

    assert (refused.status_code, allowed.status_code) == (403, 201)
    assert "admins only" in refused.json()["detail"]


async def test_only_the_tickets_owners_change_it_past_owners_read_it(api):
    ticket = await billing_ticket(api)
    path = f"/tickets/{ticket['id']}"
    await put(api, "escalate", {"title": "Escalate", "add_tags": ["escalated"]})
    handed = await api.as_(ADMIN).post(
        f"{path}/transfer", json={"department": "technical", "note": "A router fault."}
    )
    assert handed.status_code == 200, handed.text

    past_owner_patch = await api.as_(ANA).patch(path, json={"tags": ["vip"]})
    past_owner_apply = await api.as_(ANA).post(f"{path}/macros/escalate/apply")
    past_owner_preview = await api.as_(ANA).post(f"{path}/macros/escalate/preview")
    owner_patch = await api.as_(CARLA).patch(path, json={"tags": ["vip"]})

    assert (past_owner_patch.status_code, past_owner_apply.status_code) == (403, 403)
    assert (past_owner_preview.status_code, owner_patch.status_code) == (200, 200)
    assert owner_patch.json()["tags"] == ["vip"]
