"""Two processes of every service on one store and one broker, as a large organisation runs
them behind a balancer: each ticket is routed once, each email sent once, and a ticket
edited through two intake processes at once never loses an edit or reuses a version."""

import asyncio

import httpx
import pytest

from credentials import admin_headers
from e2e_platform import SERVICES, Platform
from journey import REQUIRED_FIELDS, eventually, mails_to, unique_email
from support import BusProbe

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

INTAKES = ("intake", "intake#2")
TICKETS = 16
NOTES = 12
ASSIGNED = "ticket.assigned.v1"


@pytest.fixture
def platform_processes() -> tuple[str, ...]:
    return tuple(process for service in SERVICES for process in (service, f"{service}#2"))


@pytest.fixture
def platform_env() -> dict[str, dict[str, str]]:
    return {service: {"TICKETFLOW_STORE_CROSS_PROCESS_LOCKS": "true"} for service in SERVICES}


async def post_through(http: httpx.AsyncClient, platform: Platform, process: str, email: str):
    body = {
        "channel": "web",
        "customer": {"email": email, "name": "Pat Customer"},
        "subject": "Charged twice",
        "body": "My invoice shows two charges.",
        "category": "billing",
        "fields": REQUIRED_FIELDS["billing"],
    }
    response = await http.post(f"{platform.url(process)}/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_two_of_each_route_once_mail_once_and_keep_every_edit(
    platform: Platform, bus_probe: BusProbe
) -> None:
    async with httpx.AsyncClient(timeout=20, headers=admin_headers()) as http:
        for agent_id, routing in (("pair-a", "routing"), ("pair-b", "routing#2")):
            agent = {"department": "billing", "skills": {"billing": 5}, "capacity": TICKETS}
            body = {"name": agent_id, "presence": "available", **agent}
            response = await http.put(f"{platform.url(routing)}/agents/{agent_id}", json=body)
            assert response.status_code == 201, response.text
        emails = [unique_email("pair") for _ in range(TICKETS)]
        ticket_ids = await asyncio.gather(
            *(post_through(http, platform, INTAKES[n % 2], email) for n, email in enumerate(emails))
        )

        async def all_mailed() -> bool:
            counts = [len(await mails_to(http, platform, email)) for email in emails]
            return all(count >= 2 for count in counts)  # created, then assigned

        await eventually(all_mailed, timeout=60, what="two emails to every customer")
        await asyncio.sleep(2)  # a second sender of one email would have sent it by now
        assert [len(await mails_to(http, platform, email)) for email in emails] == [2] * TICKETS

        assigned = {t: {e.id for e in bus_probe.of_type(ASSIGNED, t)} for t in ticket_ids}
        assert all(len(ids) == 1 for ids in assigned.values()), assigned
        loads = []
        for agent_id in ("pair-a", "pair-b"):
            agent = (await http.get(f"{platform.url('routing#2')}/agents/{agent_id}")).json()
            loads.append(len(agent["active_tickets"]))
        assert sum(loads) == TICKETS

        edited = ticket_ids[0]

        async def note(n: int) -> httpx.Response:
            url = f"{platform.url(INTAKES[n % 2])}/tickets/{edited}/messages"
            return await http.post(url, json={"body": f"note {n}", "visibility": "internal"})

        answers = await asyncio.gather(*(note(n) for n in range(NOTES)))
        assert {a.status_code for a in answers} <= {201, 409}
        saved = [a.json()["id"] for a in answers if a.status_code == 201]
        assert saved
        messages = (await http.get(f"{platform.url('intake#2')}/tickets/{edited}/messages")).json()
        stored = [m["id"] for m in messages["data"]]
        assert sorted(i for i in stored if i in saved) == sorted(saved)  # none lost

        async def every_version_out() -> list | None:
            events = {e.id: e for e in bus_probe.events if e.subject == edited}.values()
            ours = [e for e in events if e.producer == "intake"]
            added = [e for e in ours if e.type == "ticket.message_added.v1"]
            return ours if len(added) == len(saved) else None

        events = await eventually(every_version_out, timeout=30, what="every note's event")
        sequences = sorted(e.sequence for e in events)
        assert len(set(sequences)) == len(sequences), sequences  # no version written twice
