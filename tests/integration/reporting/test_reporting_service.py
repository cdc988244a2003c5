"""Reporting against real RabbitMQ and FerretDB/MongoDB: events in, read model and KPIs out."""

import random
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient
from reporting_envelopes import (
    CREATED_AT,
    TIME_TO_ASSIGN,
    agent_updated,
    assigned,
    copy_of,
    created,
    desk_story,
    events_applied,
    notified,
    queued,
    resolved,
    summary_of,
    ticket_when,
)

from reporting.bootstrap import create_app
from reporting.settings import ReportingSettings
from support import BusProbe, Namespace, serve_in_process
from ticketflow_shared.events import Presence, TicketStatus

pytestmark = pytest.mark.integration


@pytest.fixture
async def reporting(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    # One message in flight at a time: events are handled in the order they were published,
    # so a later "sentinel" event being applied proves everything before it was handled.
    settings = namespace.settings(ReportingSettings, "reporting", prefetch=1)
    async with serve_in_process(create_app(settings)) as client:
        yield client


@pytest.fixture
async def busy_reporting(namespace: Namespace) -> AsyncIterator[httpx.AsyncClient]:
    """Reporting with its default prefetch: many events handled at once."""
    settings = namespace.settings(ReportingSettings, "reporting")
    async with serve_in_process(create_app(settings)) as client:
        yield client


NO_TIMES = {"count": 0, "median": None, "p90": None}
NOT_WAITING = {"count": 0, "oldest_ticket_id": None, "oldest_since": None, "longest_seconds": None}
ASSIGNED_AT = (CREATED_AT + timedelta(seconds=TIME_TO_ASSIGN)).isoformat().replace("+00:00", "Z")


class AnySeconds(float):
    """Equal to any positive number of seconds: how long a ticket has waited by now."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and other > 0

    __hash__ = float.__hash__


ANY_SECONDS = AnySeconds()


def one_assigned_ticket_summary() -> dict:
    return {
        "since": None,
        "total_tickets": 1,
        "backlog": 1,
        "by_status": {**dict.fromkeys(TicketStatus, 0), "open": 1},
        "by_department": {"finance": 1},
        "by_category": {"billing": 1},
        "by_priority": {"high": 1},
        "by_channel": {"email": 1},
        "time_to_assign_seconds": {"count": 1, "median": TIME_TO_ASSIGN, "p90": TIME_TO_ASSIGN},
        "time_to_resolve_seconds": NO_TIMES,
        "time_to_first_resolve_seconds": NO_TIMES,
        "time_to_first_response_seconds": NO_TIMES,
        "time_to_first_notification_seconds": NO_TIMES,
        "time_in_status_seconds": dict.fromkeys(["new", "open", "pending", "on_hold"], NO_TIMES),
        "reopens": {"solved_tickets": 0, "reopened_tickets": 0, "reopens": 0, "rate": None},
        "self_service": {"solved_tickets": 0, "self_served_tickets": 0, "rate": None},
        "handoffs": {"total": 0, "tickets_handed_off": 0, "per_ticket": 0.0},
        "conversation": dict.fromkeys(
            [
                "customer_messages",
                "public_replies",
                "internal_notes",
                "consults",
                "consults_answered",
                "priority_changes",
            ],
            0,
        ),
        "departments": [
            {
                "department": "finance",
                "tickets": 1,
                "backlog": 1,
                "waiting": {
                    "open": {
                        "count": 1,
                        "oldest_ticket_id": "T-1",
                        "oldest_since": ASSIGNED_AT,
                        "longest_seconds": ANY_SECONDS,
                    },
                    "pending": NOT_WAITING,
                    "on_hold": NOT_WAITING,
                },
                "time_owned_seconds": NO_TIMES,
                "first_response_seconds": NO_TIMES,
                "reopens": 0,
                "handoffs_in": 0,
                "handoffs_out": 0,
            }
        ],
    }


@pytest.mark.parametrize("order", ["created first", "assigned first"])
async def test_created_and_assigned_give_the_same_summary_in_either_order(
    reporting: httpx.AsyncClient, bus_probe: BusProbe, order: str
):
    first, second = created("T-1"), assigned("T-1")
    if order == "assigned first":
        first, second = second, first
    await bus_probe.publish(first)
    # Wait for the first event alone, so the second one really arrives after it.
    await ticket_when(reporting, "T-1", events_applied(1))
    await bus_probe.publish(second)
    row = await ticket_when(reporting, "T-1", events_applied(2))

    assert (row["status"], row["department"], row["agent_id"]) == (
        "open",
        "finance",
        "agent-ada",
    )
    assert row["time_to_assign_seconds"] == TIME_TO_ASSIGN
    assert await summary_of(reporting) == one_assigned_ticket_summary()


async def test_shuffled_lifecycles_handled_concurrently_all_land(
    busy_reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    ticket_ids = [f"T-{n}" for n in range(10)]
    events = []
    for ticket_id in ticket_ids:
        creation = created(ticket_id)
        events += [creation, queued(ticket_id), assigned(ticket_id), notified(ticket_id, creation)]
        events += [resolved(ticket_id)]
    random.Random(11).shuffle(events)
    for event in events:
        await bus_probe.publish(event)
    for ticket_id in ticket_ids:
        # Shuffled, a ticket.queued may come after its ticket.assigned: it is not counted as
        # applied then, only its time is kept. So wait for what the row says instead.
        row = await ticket_when(busy_reporting, ticket_id, everything_known)
        assert (row["status"], row["notifications"], row["resolved_by"]) == (
            "solved",
            1,
            "agent-ada",
        )
        assert row["department"] == "finance"

    summary = await summary_of(busy_reporting)
    assert (summary["total_tickets"], summary["backlog"]) == (10, 0)
    assert summary["by_department"] == {"finance": 10}
    assert summary["time_to_assign_seconds"] == {"count": 10, "median": 83.25, "p90": 83.25}
    assert summary["time_to_resolve_seconds"] == {"count": 10, "median": 1800.0, "p90": 1800.0}


def everything_known(row: dict) -> bool:
    milestones = ("created_at", "queued_at", "assigned_at", "resolved_at", "first_notified_at")
    return row["status"] == "solved" and all(row[name] for name in milestones)


async def test_late_and_repeated_events_never_rewind_a_row_but_a_newer_one_moves_it(
    reporting: httpx.AsyncClient, bus_probe: BusProbe, namespace: Namespace
):
    creation, queuing, assignment = created("T-1"), queued("T-1"), assigned("T-1")
    # Intake resolved the ticket before reporting heard routing's events; then routing's
    # come in backwards, and copies of everything under fresh ids.
    for event in (creation, resolved("T-1"), assignment, queuing):
        await bus_probe.publish(event)
    for event in (copy_of(assignment), copy_of(creation), copy_of(queuing)):
        await bus_probe.publish(event)
    await bus_probe.publish(created("T-sentinel"))
    await ticket_when(reporting, "T-sentinel", events_applied(1))

    row = await ticket_when(reporting, "T-1", events_applied(3))
    assert (row["status"], row["resolved_by"], row["department"]) == (
        "solved",
        "agent-ada",
        "finance",
    )
    assert row["queued_at"] is not None  # the late event's time is kept all the same
    assert row["events_applied"] == 3  # created, resolved, assigned; the rest were old news
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        doc = await client[namespace.database("reporting")]["tickets"].find_one({"_id": "T-1"})
    finally:
        await client.close()
    assert doc is not None
    assert {name: stream["sequence"] for name, stream in doc["streams"].items()} == {
        "intake": 4,
        "routing": 2,
    }
    assert "applied_events" not in doc

    # A newer word from routing (a second assignment, sequence 3, after intake's resolution
    # at its own sequence 4) changes who is named, not whether the ticket is open: the two
    # sequences are never compared, and only intake can reopen a ticket.
    await bus_probe.publish(assigned("T-1", agent_id="agent-bo", department="support", sequence=3))
    row = await ticket_when(reporting, "T-1", events_applied(4))
    assert (row["status"], row["agent_id"], row["department"]) == (
        "solved",
        "agent-bo",
        "support",
    )


async def test_a_newer_routing_event_moves_an_open_ticket_back_to_the_queue(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    for event in (created("T-1"), queued("T-1"), assigned("T-1")):
        await bus_probe.publish(event)
    await ticket_when(reporting, "T-1", lambda row: row["status"] == "open")

    await bus_probe.publish(queued("T-1", sequence=3, after=timedelta(minutes=5)))
    row = await ticket_when(reporting, "T-1", lambda row: row["status"] == "queued")

    assert (row["agent_id"], row["department"]) == (None, None)
    assert row["time_to_assign_seconds"] == TIME_TO_ASSIGN  # the first assignment happened
    summary = await summary_of(reporting)
    assert (summary["by_status"]["queued"], summary["backlog"]) == (1, 1)


async def test_the_same_event_published_twice_counts_once(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    creation = created("T-1")
    notification = notified("T-1", creation)
    for event in (creation, assigned("T-1"), notification, notification, creation):
        await bus_probe.publish(event)
    await bus_probe.publish(created("T-sentinel"))
    await ticket_when(reporting, "T-sentinel", events_applied(1))

    row = await ticket_when(reporting, "T-1", events_applied(3))
    assert (row["events_applied"], row["notifications"]) == (3, 1)
    summary = await summary_of(reporting)
    assert summary["total_tickets"] == 2
    assert summary["time_to_first_notification_seconds"] == {"count": 1, "median": 4.0, "p90": 4.0}


async def test_a_redelivery_changes_nothing_and_keeps_no_inbox(
    reporting: httpx.AsyncClient, bus_probe: BusProbe, namespace: Namespace
):
    creation = created("T-1")
    notification = notified("T-1", creation)
    await bus_probe.publish(creation)
    await bus_probe.publish(notification)
    await ticket_when(reporting, "T-1", events_applied(2))
    # As after a crash between the read-model write and the ack: the same event again.
    await bus_probe.publish(creation)
    await bus_probe.publish(notification)
    await bus_probe.publish(created("T-sentinel"))
    await ticket_when(reporting, "T-sentinel", events_applied(1))

    row = await ticket_when(reporting, "T-1", events_applied(2))
    assert (row["events_applied"], row["notifications"]) == (2, 1)
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        inbox = client[namespace.database("reporting")]["inbox"]
        assert await inbox.count_documents({}) == 0  # the writes alone made it idempotent
    finally:
        await client.close()


async def test_agents_report_keeps_the_newest_profile_and_counts_tickets(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    newer = agent_updated(presence=Presence.away, updated_at=CREATED_AT + timedelta(minutes=5))
    older = agent_updated(presence=Presence.available, updated_at=CREATED_AT)
    for event in (newer, older, created("T-1"), assigned("T-1")):
        await bus_probe.publish(event)
    await ticket_when(reporting, "T-1", events_applied(2))

    response = await reporting.get("/reports/agents")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [ada] = body["data"]
    assert (ada["name"], ada["department"], ada["presence"]) == ("Ada Lovelace", "finance", "away")
    assert (ada["capacity"], ada["active_tickets"], ada["open_tickets"]) == (5, 1, 1)
    assert (ada["assigned_count"], ada["resolved_count"]) == (1, 0)


async def test_summary_since_leaves_out_older_tickets(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    await bus_probe.publish(created("T-1"))
    await ticket_when(reporting, "T-1", events_applied(1))

    later = (CREATED_AT + timedelta(seconds=1)).isoformat()
    assert (await summary_of(reporting, since=later))["total_tickets"] == 0
    earlier = (CREATED_AT - timedelta(seconds=1)).isoformat()
    assert (await summary_of(reporting, since=earlier))["total_tickets"] == 1


async def test_tickets_the_customer_solved_from_an_article_count_as_self_service(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    for ticket_id, article in (("T-1", "reset-password"), ("T-2", None), ("T-3", None)):
        await bus_probe.publish(created(ticket_id))
        await bus_probe.publish(resolved(ticket_id, self_service_article=article))
        await ticket_when(reporting, ticket_id, events_applied(2))

    summary = await summary_of(reporting)
    assert summary["self_service"] == {"solved_tickets": 3, "self_served_tickets": 1, "rate": 0.333}
    html = (await reporting.get("/")).text
    assert '<div class="value" id="self-service-rate">33.3 %</div>' in html


async def test_dashboard_shows_the_summary_numbers(
    reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    await bus_probe.publish(agent_updated(presence=Presence.available, updated_at=CREATED_AT))
    for ticket_id in ("T-1", "T-2"):
        await bus_probe.publish(created(ticket_id, category="<b>billing</b>"))
    await bus_probe.publish(assigned("T-1"))
    await ticket_when(reporting, "T-1", events_applied(2))
    await ticket_when(reporting, "T-2", events_applied(1))

    response = await reporting.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<div class="value" id="total-tickets">2</div>' in html
    assert '<div class="value" id="backlog">2</div>' in html
    assert "<td>finance</td>" in html and "<td>unassigned</td>" in html
    assert "1.4 min" in html  # 83.25 s to assign
    assert "<td>Ada Lovelace</td>" in html
    assert "&lt;b&gt;billing&lt;/b&gt;" in html


async def test_bad_requests_get_clear_4xx_answers(reporting: httpx.AsyncClient):
    missing = await reporting.get("/reports/tickets/no-such-ticket")
    assert missing.status_code == 404
    bad_since = await reporting.get("/reports/summary", params={"since": "yesterday"})
    assert bad_since.status_code == 422
    assert bad_since.json()["detail"][0]["loc"] == ["query", "since"]
    for path in ("/reports/summary", "/"):
        # Valid ISO 8601, but UTC has no such date.
        beyond = await reporting.get(path, params={"since": "9999-12-31T23:59:59-01:00"})
        assert beyond.status_code == 422, beyond.text
        assert beyond.json()["detail"][0]["loc"] == ["query", "since"]


def desk_known(row: dict) -> bool:
    """Every event of the story arrived: each status change, message, handoff and consult."""
    counts = ("reopens", "handoffs", "consults_answered", "customer_messages", "public_replies")
    return (
        [row[name] for name in counts] == [1, 1, 1, 2, 1]
        and (row["internal_notes"], row["priority"]) == (1, "urgent")
        and row["time_in_status_seconds"] == DESK_TIME_IN_STATUS
    )


# From creation: assigned and open at 83.25 s, pending 200-900 s, solved 1800-2400 s.
DESK_TIME_IN_STATUS = {"new": 83.25, "open": 1016.75, "pending": 700.0, "solved": 600.0}


async def test_the_desk_story_shuffled_and_repeated_lands_in_the_row_and_the_kpis(
    busy_reporting: httpx.AsyncClient, bus_probe: BusProbe
):
    story = desk_story("T-1")
    events = story + [copy_of(event) for event in story[2:6]]
    random.Random(13).shuffle(events)
    for event in events:
        await bus_probe.publish(event)
    row = await ticket_when(busy_reporting, "T-1", desk_known)

    assert (row["status"], row["owning_department"], row["time_to_resolve_seconds"]) == (
        "open",
        "support",
        None,  # reopened: not resolved any more
    )
    assert row["time_to_first_resolve_seconds"] == 1800.0
    assert row["time_to_first_response_seconds"] == 120.0
    assert row["time_by_department_seconds"] == {"finance": 1000.0}
    assert [(p["department"], p["seconds"]) for p in row["ownership"]] == [
        ("finance", 1000.0),
        ("support", None),
    ]
    assert row["priority_changes"] == 1

    summary = await summary_of(busy_reporting)
    assert (summary["backlog"], summary["by_status"]["open"]) == (1, 1)
    assert summary["reopens"] == {
        "solved_tickets": 1,
        "reopened_tickets": 1,
        "reopens": 1,
        "rate": 1.0,
    }
    assert summary["time_to_first_response_seconds"] == {"count": 1, "median": 120.0, "p90": 120.0}
    assert summary["handoffs"] == {"total": 1, "tickets_handed_off": 1, "per_ticket": 1.0}
    assert summary["time_in_status_seconds"]["pending"]["median"] == 700.0
    departments = {report["department"]: report for report in summary["departments"]}
    assert departments["finance"]["time_owned_seconds"]["median"] == 1000.0
    assert departments["finance"]["first_response_seconds"]["median"] == 120.0
    waiting = departments["support"]["waiting"]["open"]
    assert (waiting["count"], waiting["oldest_ticket_id"]) == (1, "T-1")
    assert waiting["longest_seconds"] > 0

    page = await busy_reporting.get("/")
    assert page.status_code == 200, page.text
    assert '<div class="value" id="reopen-rate">100.0 %</div>' in page.text
    assert '<div class="value" id="first-response">2.0 min</div>' in page.text
    assert "<td>support</td>" in page.text and "<td>T-1 · " in page.text
