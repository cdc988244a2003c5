"""A ticket's whole journey through the four services, run as separate processes."""

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import Platform
from journey import (
    assigned_ticket,
    eventually,
    mails_to,
    post_ticket,
    put_agent,
    sent_notifications,
    summary,
    unique_email,
)
from support import BusProbe

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


async def test_ticket_goes_to_the_skilled_agent_and_the_customer_hears_once_per_event(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        await put_agent(
            http, platform, "skilled", department="billing", skills={"billing": 3}, capacity=5
        )
        await put_agent(
            http, platform, "idle", department="technical", skills={"technical": 9}, capacity=5
        )
        first = await post_ticket(http, platform, "billing", unique_email())
        assert (await assigned_ticket(http, platform, first["id"]))["assignee"][
            "agent_id"
        ] == "skilled"

        # "skilled" now carries a ticket and "idle" none, yet only "skilled" has the skill.
        email = unique_email()
        second = await post_ticket(http, platform, "billing", email)
        assigned = await assigned_ticket(http, platform, second["id"])
        assert assigned["assignee"]["agent_id"] == "skilled"
        assert assigned["assignee"]["department"] == "billing"

        async def two_sent() -> list[dict] | None:
            sent = await sent_notifications(http, platform, second["id"])
            return sent if len(sent) == 2 else None

        await eventually(two_sent, what="created and assigned notifications sent")
        mails = await mails_to(http, platform, email)
        assert len(mails) == 2
        assert sum(second["id"] in mail["subject"] for mail in mails) == 2

        async def both_counted() -> dict | None:
            report = await summary(http, platform)
            return report if report["by_department"].get("billing") == 2 else None

        report = await eventually(both_counted, what="report counts both tickets")
        assert report["total_tickets"] == 2
        assert report["by_status"]["open"] == 2
        assert report["time_to_assign_seconds"]["count"] == 2
        assert report["time_to_assign_seconds"]["median"] >= 0


async def test_the_same_event_published_twice_changes_nothing(
    platform: Platform, bus_probe: BusProbe
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        await put_agent(
            http, platform, "solo", department="billing", skills={"billing": 5}, capacity=5
        )
        email = unique_email()
        original = await post_ticket(http, platform, "billing", email)
        await assigned_ticket(http, platform, original["id"])
        await eventually(
            lambda: _count_sent(http, platform, original["id"], 2), what="first two emails"
        )

        for event_type in ("ticket.created.v1", "ticket.assigned.v1"):
            (event,) = bus_probe.of_type(event_type, original["id"])
            await bus_probe.publish(event)
            await bus_probe.publish(event)

        # A later ticket behind the duplicates in every queue shows they have been consumed.
        marker = await post_ticket(http, platform, "billing", unique_email())
        await assigned_ticket(http, platform, marker["id"])
        await eventually(lambda: _count_sent(http, platform, marker["id"], 2), what="marker")

        assert len(await mails_to(http, platform, email)) == 2
        assert len(await sent_notifications(http, platform, original["id"])) == 2
        agent = (await http.get(f"{platform.url('routing')}/agents/solo")).json()
        assert _active(agent) == 2
        assert len(bus_probe.of_type("ticket.assigned.v1", original["id"])) == 3
        report = await eventually(
            lambda: _summary_with_total(http, platform, 2), what="report of two tickets"
        )
        assert report["by_status"]["open"] == 2


async def test_a_malformed_message_is_dead_lettered_and_the_service_keeps_serving(
    platform: Platform, bus_probe: BusProbe
) -> None:
    await bus_probe.publish_raw(b'{"this": "is not an event"', "ticket.created.v1")
    dead_letter_queue = f"{platform.namespace.queue_prefix}routing.events.dlq"

    async def dead_lettered() -> int:
        queue = await bus_probe.channel.declare_queue(dead_letter_queue, passive=True)
        return queue.declaration_result.message_count

    assert await eventually(dead_lettered, what="message in routing's DLQ") == 1

    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        dead = (await http.get(f"{platform.url('routing')}/dead-letters")).json()
        assert dead["count"] == 1
        assert dead["data"][0]["reason"] == "rejected"
        assert dead["data"][0]["body"] == '{"this": "is not an event"'

        await put_agent(
            http, platform, "still", department="technical", skills={"technical": 4}, capacity=2
        )
        after = await post_ticket(http, platform, "technical", unique_email())
        assert (await assigned_ticket(http, platform, after["id"]))["assignee"][
            "agent_id"
        ] == "still"


async def test_killing_routing_mid_stream_loses_no_ticket(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        for agent_id in ("north", "south"):
            await put_agent(
                http,
                platform,
                agent_id,
                department="technical",
                skills={"technical": 5},
                capacity=15,
            )
        ids = []
        for number in range(24):
            if number == 8:
                platform.kill("routing")
            if number == 16:
                platform.start("routing")
            ticket = await post_ticket(http, platform, "technical", unique_email(f"k{number}"))
            ids.append(ticket["id"])
        await platform.wait_ready("routing")

        for ticket_id in ids:
            await assigned_ticket(http, platform, ticket_id)
        agents = (await http.get(f"{platform.url('routing')}/agents")).json()["data"]
        loads = {a["agent_id"]: _active(a) for a in agents}
        assert sum(loads.values()) == len(ids)
        assert all(load <= 15 for load in loads.values())


async def _count_sent(http: httpx.AsyncClient, platform: Platform, ticket_id: str, n: int):
    return len(await sent_notifications(http, platform, ticket_id)) >= n


async def _summary_with_total(http: httpx.AsyncClient, platform: Platform, total: int):
    report = await summary(http, platform)
    return report if report["total_tickets"] == total and report["by_status"]["open"] else None


def _active(agent: dict) -> int:
    active = agent["active_tickets"]
    return active if isinstance(active, int) else len(active)
