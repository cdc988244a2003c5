"""The agent's desk across the four services: a ticket handed from billing to technical,
answered in public, waiting on the customer, reopened by their answer, solved with its
procedure done and closed on schedule, as separate processes on the real servers."""

import httpx
import pytest

from credentials import admin_headers, headers
from e2e_platform import Platform
from journey import eventually, mails_to, post_ticket, put_agent, ticket, unique_email
from otlp_receiver import OtlpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
CLOSE_AFTER_SECONDS = 3
REPLY = "We found the fault on the line and reset it. Could you check it works now?"


@pytest.fixture
def platform_env() -> dict[str, dict[str, str]]:
    """Solved tickets close after a few seconds here, instead of four days."""
    return {
        "intake": {
            "TICKETFLOW_CLOSE_SOLVED_AFTER_SECONDS": str(CLOSE_AFTER_SECONDS),
            "TICKETFLOW_CLOSE_SWEEP_SECONDS": "1",
        }
    }


def agent_headers(agent_id: str, department: str) -> dict[str, str]:
    return headers("agent", departments=(department,), subject=agent_id)


async def owned_by(http: httpx.AsyncClient, platform: Platform, ticket_id: str, agent_id: str):
    async def owned() -> dict | None:
        current = await ticket(http, platform, ticket_id)
        assignee = current.get("assignee") or {}
        return current if assignee.get("agent_id") == agent_id else None

    return await eventually(owned, what=f"{ticket_id} owned by {agent_id}")


async def status_is(http: httpx.AsyncClient, platform: Platform, ticket_id: str, status: str):
    async def reached() -> dict | None:
        current = await ticket(http, platform, ticket_id)
        return current if current["status"] == status else None

    return await eventually(reached, what=f"{ticket_id} {status}")


async def test_a_ticket_handed_from_billing_to_technical_until_it_closes(
    platform: Platform, otlp_receiver: OtlpReceiver
) -> None:
    intake = platform.url("intake")
    customer = unique_email()
    billing = agent_headers("bill", "billing")
    technical = agent_headers("tess", "technical")
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        await put_agent(
            http, platform, "bill", department="billing", skills={"billing": 5}, capacity=3
        )
        await put_agent(
            http, platform, "tess", department="technical", skills={"billing": 2}, capacity=3
        )
        checklist = {
            "items": [
                {"key": "identity_verified", "label": "Identity verified", "required": True},
                {"key": "logs_attached", "label": "Logs attached", "required": False},
            ]
        }
        response = await http.put(f"{intake}/handoff-checklists/technical", json=checklist)
        assert response.status_code == 200, response.text
        procedure = {"steps": [{"key": "diagnose", "label": "Diagnose the line", "required": True}]}
        response = await http.put(f"{intake}/categories/billing/procedure", json=procedure)
        assert response.status_code == 200, response.text

        created = await post_ticket(http, platform, "billing", customer)
        ticket_id = created["id"]
        await owned_by(http, platform, ticket_id, "bill")

        # Refusals change nothing: another department's agent, a transfer without the checklist.
        outsider = await http.post(
            f"{intake}/tickets/{ticket_id}/transfer",
            headers=technical,
            json={"department": "technical", "note": "mine now", "checklist": []},
        )
        assert outsider.status_code == 404
        incomplete = await http.post(
            f"{intake}/tickets/{ticket_id}/transfer",
            headers=billing,
            json={"department": "technical", "note": "", "checklist": []},
        )
        assert incomplete.status_code == 422
        assert "identity_verified" in incomplete.text and "note" in incomplete.text
        assert (await ticket(http, platform, ticket_id))["department"] == "billing"

        moved = await http.post(
            f"{intake}/tickets/{ticket_id}/transfer",
            headers=billing,
            json={
                "department": "technical",
                "note": "Refund done; the line still drops, needs the network team.",
                "checklist": ["identity_verified"],
            },
        )
        assert moved.status_code == 200, moved.text
        await owned_by(http, platform, ticket_id, "tess")

        replied = await http.post(
            f"{intake}/tickets/{ticket_id}/messages",
            headers=technical,
            json={"body": REPLY, "visibility": "public"},
        )
        assert replied.status_code == 201, replied.text
        noted = await http.post(
            f"{intake}/tickets/{ticket_id}/messages",
            headers=technical,
            json={"body": "Port 4 on the DSLAM was flapping.", "visibility": "internal"},
        )
        assert noted.status_code == 201, noted.text
        pending = await http.post(
            f"{intake}/tickets/{ticket_id}/status",
            headers=technical,
            json={"status": "pending", "reason": "asked the customer to check"},
        )
        assert pending.status_code == 200, pending.text

        async def the_reply() -> list | None:
            mails = [m for m in await mails_to(http, platform, customer) if REPLY in m["text"]]
            return mails or None

        (mail,) = await eventually(the_reply, what="the public reply emailed")
        earlier = [
            m
            for m in await mails_to(http, platform, customer)
            if m["message_id"] != mail["message_id"]
        ]
        assert ticket_id in mail["subject"]
        assert mail["message_id"] and mail["in_reply_to"]
        assert mail["in_reply_to"] in mail["references"]
        # It answers an earlier email of this ticket's thread, whose root starts the chain.
        assert mail["in_reply_to"] in {m["message_id"] for m in earlier}
        # Mails sent together may reach the catcher in either order: find the root by id.
        [root] = [m for m in earlier if m["message_id"] == mail["references"][0]]
        assert not root["in_reply_to"]
        everything = "".join(m["text"] for m in await mails_to(http, platform, customer))
        assert "DSLAM" not in everything  # the internal note never leaves the company

        answered = await http.post(
            f"{intake}/tickets/{ticket_id}/customer-messages",
            json={"body": "Still drops every evening."},
        )
        assert answered.status_code == 201, answered.text
        await status_is(http, platform, ticket_id, "open")

        undone = await http.post(
            f"{intake}/tickets/{ticket_id}/status", headers=technical, json={"status": "solved"}
        )
        assert undone.status_code == 422 and "diagnose" in undone.text
        ticked = await http.post(
            f"{intake}/tickets/{ticket_id}/procedure/diagnose", headers=technical
        )
        assert ticked.status_code == 200, ticked.text
        solved = await http.post(
            f"{intake}/tickets/{ticket_id}/status", headers=technical, json={"status": "solved"}
        )
        assert solved.status_code == 200, solved.text

        closed = await status_is(http, platform, ticket_id, "closed")
        illegal = await http.post(
            f"{intake}/tickets/{ticket_id}/status", headers=technical, json={"status": "pending"}
        )
        assert illegal.status_code == 409 and "closed" in illegal.text

    ownership = closed["ownership"]
    owners = [(period["department"], period["agent_id"]) for period in ownership["periods"]]
    assert ("billing", "bill") in owners and ("technical", "tess") in owners
    assert owners.index(("billing", "bill")) < owners.index(("technical", "tess"))
    assert ownership["department_seconds"]["billing"] > 0
    assert ownership["department_seconds"]["technical"] > 0
    assert "bill" in ownership["followers"]

    async def both_departments_traced() -> set | None:
        departments = {
            span.attributes.get("ticketflow.department")
            for span in otlp_receiver.snapshot()
            if span.attributes.get("ticketflow.ticket_id") == ticket_id
            and span.name.startswith("ownership")
        }
        return departments if {"billing", "technical"} <= departments else None

    await eventually(both_departments_traced, what="an ownership span per department")
