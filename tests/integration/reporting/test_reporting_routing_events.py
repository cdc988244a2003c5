"""Reporting's SLA, escalation and offer KPIs from routing's events on the real broker and
store: shuffled and repeated events give the same figures, and departments stay apart."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from reporting_envelopes import CREATED_AT, created, events_applied, message, ticket_when

from credentials import headers
from factories import escalated_envelope, offer_ended_envelope, offered_envelope, sla_envelope
from reporting.bootstrap import create_app
from reporting.settings import ReportingSettings
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import AuthorKind, Envelope

pytestmark = pytest.mark.integration


@pytest.fixture
async def reporting(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    settings = namespace.settings(ReportingSettings, "reporting")
    async with serve_in_process(create_app(settings)) as client:
        yield client


def after(seconds: float):
    return CREATED_AT + timedelta(seconds=seconds)


def story(ticket_id: str, department: str) -> list[Envelope]:
    """Offered to ada (declined), then bo (accepted after 8 s); the first response breached,
    then answered; warned on resolution; escalated for waiting, paging the supervisor."""
    return [
        created(ticket_id, department=department),
        offered_envelope(ticket_id, "O-1", "agent-ada", at=after(5), department=department),
        offer_ended_envelope(ticket_id, "O-1", "agent-ada", "declined", at=after(9)),
        offered_envelope(ticket_id, "O-2", "agent-bo", at=after(10), department=department),
        offer_ended_envelope(ticket_id, "O-2", "agent-bo", "accepted", at=after(18)),
        sla_envelope(ticket_id, at=after(60), department=department),
        escalated_envelope(
            ticket_id, at=after(61), department=department, trigger="sla", page_supervisor=True
        ),
        message(ticket_id, 3, 120, AuthorKind.agent),
        sla_envelope(
            ticket_id, at=after(200), breached=False, target="resolution", department=department
        ),
    ]


async def test_routing_events_shuffled_and_repeated_give_the_kpis(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
) -> None:
    department = f"dept-{uuid.uuid4().hex[:8]}"
    ticket_id = f"T-{uuid.uuid4().hex[:10]}"
    events = story(ticket_id, department)
    shuffled = random.Random(11).sample(events, len(events))
    for envelope in [*shuffled, *shuffled[:4]]:
        await bus_probe.publish(envelope)
    await ticket_when(reporting, ticket_id, events_applied(len(events)))

    sla = (await reporting.get("/reports/sla")).json()
    mine = {
        (c["target"], c["met"], c["breached"], c["at_risk"])
        for c in sla["by_department"]
        if c["department"] == department
    }
    assert mine == {("first_response", 0, 1, 0), ("resolution", 0, 0, 1)}
    assert ticket_id in sla["at_risk_tickets"]

    escalations = (await reporting.get("/reports/escalations")).json()
    assert {"trigger": "sla", "department": department, "count": 1} in escalations["by_department"]
    [listed] = [t for t in escalations["tickets"] if t["ticket_id"] == ticket_id]
    assert (listed["escalations"], listed["paged"]) == (1, True)

    offers = (await reporting.get("/reports/offers")).json()
    lines = {s["agent_id"]: s for s in offers["by_agent"] if s["department"] == department}
    assert (lines["agent-ada"]["declined"], lines["agent-ada"]["acceptance_rate"]) == (1, 0.0)
    assert (lines["agent-bo"]["accepted"], lines["agent-bo"]["median_seconds_to_accept"]) == (
        1,
        8.0,
    )
    [dept] = [s for s in offers["by_department"] if s["department"] == department]
    assert (dept["offered"], dept["acceptance_rate"]) == (2, 0.5)

    together = (await reporting.get("/reports/routing")).json()
    assert together["offers"]["by_department"] == offers["by_department"]

    outsider = headers("viewer", departments=(f"other-{department}",))
    theirs = (await reporting.get("/reports/routing", headers=outsider)).json()
    assert all(c["department"] != department for c in theirs["sla"]["by_department"])
    assert all(t["ticket_id"] != ticket_id for t in theirs["escalations"]["tickets"])
    page = await reporting.get("/", headers=headers("viewer", departments=(department,)))
    assert page.status_code == 200 and 'id="offers-by-agent"' in page.text
