"""What text and addresses intake takes in: nothing the mail path or the store cannot carry."""

import httpx
import pytest
from intake_fakes import TICKET

from ticketflow_shared.events import TicketCreatedV1


def the_problem(response: httpx.Response) -> dict:
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    return problem


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: x@example.com",
        "Eve\nBcc: x@example.com",
        "Eve\x00",
        "Eve\tAda",
        "Eve\x1b[2J",
        "Eve\x7f",
        "Eve\x85",
        "Eve\u2028Bcc: x@example.com",
        "Eve\u2029",
    ],
)
async def test_a_customer_name_with_control_characters_is_refused(client, tickets, name):
    customer = {"email": "eve@example.com", "name": name}
    response = await client.post("/tickets", json={**TICKET, "customer": customer})

    problem = the_problem(response)
    assert problem["loc"] == ["body", "customer", "name"]
    assert problem["type"] == "control_character"
    assert problem["msg"].startswith("Text must not contain control characters: U+")
    assert tickets.stored == {}


async def test_an_address_needing_smtputf8_is_refused_and_says_so(client, tickets):
    customer = {"email": "ü@exämple.com", "name": "Üla"}
    response = await client.post("/tickets", json={**TICKET, "customer": customer})

    problem = the_problem(response)
    assert problem["loc"] == ["body", "customer", "email"]
    assert problem["type"] == "smtputf8_required"
    assert "SMTPUTF8" in problem["msg"]
    assert tickets.stored == {}


async def test_an_internationalised_domain_is_kept_in_its_ascii_form(client, tickets):
    customer = {"email": "Ada@Exämple.com", "name": "Ada"}
    response = await client.post("/tickets", json={**TICKET, "customer": customer})

    assert response.status_code == 201, response.text
    assert response.json()["customer"] == {
        "email": "Ada@xn--exmple-cua.com",
        "name": "Ada",
        "customer_id": None,
    }
    [created] = tickets.published
    assert isinstance(created, TicketCreatedV1)
    assert created.model_dump(mode="json")["customer"]["email"] == "Ada@xn--exmple-cua.com"


@pytest.mark.parametrize("form", ["ada@exämple.com", "ADA@XN--EXMPLE-CUA.COM"])
async def test_listing_by_email_normalises_the_address_like_a_new_ticket(client, form):
    made = await client.post(
        "/tickets", json={**TICKET, "customer": {"email": "ada@xn--exmple-cua.com"}}
    )
    await client.post("/tickets", json={**TICKET, "customer": {"email": "ada@example.com"}})

    listed = await client.get("/tickets", params={"customer_email": form})

    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["data"]] == [made.json()["id"]]


async def test_listing_by_an_address_no_ticket_can_have_is_refused(client):
    response = await client.get("/tickets", params={"customer_email": "ü@exämple.com"})

    problem = the_problem(response)
    assert (problem["loc"], problem["type"]) == (["query", "customer_email"], "smtputf8_required")


async def test_listing_by_something_that_is_no_address_is_refused(client):
    response = await client.get("/tickets", params={"customer_email": "not-an-address"})
    assert the_problem(response)["loc"] == ["query", "customer_email"]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"subject": "Charged\x00twice"}, ["body", "subject"]),
        ({"subject": "Charged\r\nBcc: x@example.com"}, ["body", "subject"]),
        ({"subject": "Charged\ttwice"}, ["body", "subject"]),
        ({"body": "Charged\x00twice"}, ["body", "body"]),
        ({"body": "Charged\x0btwice"}, ["body", "body"]),
        ({"body": "Charged\x9btwice"}, ["body", "body"]),
        ({"body": "Charged\u2028twice"}, ["body", "body"]),
        ({"fields": {"order_id": "4\x002"}}, ["body", "fields", "order_id", "str"]),
        ({"fields": {"order_id": "42", "note": "a\nb"}}, ["body", "fields", "note", "str"]),
    ],
)
async def test_control_characters_in_text_are_refused_naming_the_field(
    client, tickets, change, location
):
    response = await client.post("/tickets", json={**TICKET, **change})

    problem = the_problem(response)
    assert (problem["loc"], problem["type"]) == (location, "control_character")
    assert tickets.stored == {}


async def test_the_body_keeps_its_tabs_and_line_breaks(client):
    body = "Order 42:\r\n\tcharged twice.\nPlease refund."
    response = await client.post("/tickets", json={**TICKET, "body": body})

    assert response.status_code == 201, response.text
    assert response.json()["body"] == body


async def test_a_resolution_with_a_nul_is_refused(client):
    ticket_id = (await client.post("/tickets", json=TICKET)).json()["id"]
    response = await client.post(f"/tickets/{ticket_id}/resolve", json={"resolution": "ok\x00"})

    problem = the_problem(response)
    assert (problem["loc"], problem["type"]) == (["body", "resolution"], "control_character")


async def test_a_category_department_with_a_line_break_is_refused(client):
    response = await client.put("/categories/refunds", json={"department": "Bill\r\nBcc: x"})

    problem = the_problem(response)
    assert (problem["loc"], problem["type"]) == (["body", "department"], "control_character")
