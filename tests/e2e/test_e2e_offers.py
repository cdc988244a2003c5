"""Offers across the four services as processes: in a department that offers tickets, an
offer nobody answers times out and moves on to the next agent, who accepts it; intake then
shows the ticket theirs, and the first agent is away for having missed it."""

import httpx
import pytest

from credentials import admin_headers, headers
from e2e_platform import Platform
from journey import eventually, post_ticket, put_agent, ticket, unique_email

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT_SECONDS = 2


async def pending_offer(http: httpx.AsyncClient, platform: Platform, agent_id: str) -> dict:
    async def offered() -> dict | None:
        answer = await http.get(f"{platform.url('routing')}/agents/{agent_id}/offers")
        assert answer.status_code == 200, answer.text
        return next(iter(answer.json()["data"]), None)

    return await eventually(offered, what=f"an offer to {agent_id}")


async def test_an_unanswered_offer_moves_on_to_the_next_agent_who_accepts(
    platform: Platform, bus_probe
) -> None:
    routing = platform.url("routing")
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        offer_mode = {"mode": "offer", "timeout_seconds": TIMEOUT_SECONDS}
        put = await http.put(f"{routing}/departments/billing", json={"offer": offer_mode})
        assert put.status_code == 200, put.text
        await put_agent(http, platform, "olga", department="billing", skills={"billing": 9})
        await put_agent(http, platform, "omar", department="billing", skills={"billing": 5})
        created = await post_ticket(http, platform, "billing", unique_email())
        ticket_id = created["id"]

        first = await pending_offer(http, platform, "olga")
        assert first["ticket_id"] == ticket_id
        assert (await ticket(http, platform, ticket_id))["status"] == "new"
        second = await pending_offer(http, platform, "omar")
        assert second["ticket_id"] == ticket_id and second["offer_id"] != first["offer_id"]

        omar = headers("agent", departments=("billing",), subject="omar")
        accepted = await http.post(f"{routing}/offers/{second['offer_id']}/accept", headers=omar)
        assert accepted.status_code == 200, accepted.text

        async def owned_by_omar() -> dict | None:
            current = await ticket(http, platform, ticket_id)
            return current if (current.get("assignee") or {}).get("agent_id") == "omar" else None

        assert (await eventually(owned_by_omar, what="omar's ticket"))["status"] == "open"
        olga = (await http.get(f"{routing}/agents/olga")).json()
        assert olga["presence"] == "away" and olga["active_tickets"] == []
        late = await http.post(
            f"{routing}/offers/{first['offer_id']}/accept",
            headers=headers("agent", departments=("billing",), subject="olga"),
        )
        assert late.status_code == 409 and "expired" in late.json()["detail"]
    away = await bus_probe.wait_for("agent.updated.v1", subject="olga", count=2)
    assert away[-1].data["presence"] == "away"
    assert away[-1].data["presence_reason"] == "missed offer"
    ended = await bus_probe.wait_for("ticket.offer_ended.v1", subject=ticket_id, count=2)
    assert [e.data["outcome"] for e in ended] == ["expired", "accepted"]
