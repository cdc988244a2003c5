"""The service layer against in-memory read models that keep the same rules as Mongo's."""

from datetime import timedelta

import pytest
from reporting_builders import T0, agent_updated, assigned, at, created, notified, transferred
from reporting_fakes import FakeAgentProfiles, FakeTicketRows

from reporting import handlers
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import Envelope, Presence


@pytest.fixture
def tickets() -> FakeTicketRows:
    return FakeTicketRows()


@pytest.fixture
def agents() -> FakeAgentProfiles:
    return FakeAgentProfiles()


async def project(tickets, agents, *envelopes: Envelope) -> None:
    for envelope in envelopes:
        await handlers.project_event(envelope, envelope.payload(), tickets=tickets, agents=agents)


async def test_ticket_events_build_the_ticket_row(tickets, agents):
    await project(tickets, agents, created(when=T0), assigned(when=at(42), department="finance"))
    view = await handlers.ticket_view(tickets, "T-1")
    assert view is not None
    assert (view.status, view.department, view.agent_name) == ("open", "finance", "Ada")
    assert view.time_to_assign_seconds == 42.0
    assert view.events_applied == 2


async def test_a_replayed_event_is_counted_once(tickets, agents):
    event = notified(when=at(3))
    await project(tickets, agents, created(when=T0), event, event)
    view = await handlers.ticket_view(tickets, "T-1")
    assert view is not None
    assert (view.notifications, view.events_applied) == (1, 2)


async def test_an_unknown_ticket_has_no_view(tickets):
    assert await handlers.ticket_view(tickets, "nope") is None


async def test_agent_events_keep_the_newest_profile(tickets, agents):
    newer = agent_updated(when=at(20), presence=Presence.offline)
    older = agent_updated(when=at(10), presence=Presence.available)
    await project(tickets, agents, newer, older)
    [report] = await handlers.agents_report(tickets, agents)
    assert report.presence == "offline"


async def test_summary_since_counts_only_tickets_created_from_then(tickets, agents):
    await project(
        tickets,
        agents,
        created("T-old", when=T0 - timedelta(days=2)),
        created("T-new", when=T0),
        assigned("T-new", when=at(10)),
    )
    summary = await handlers.summary(tickets, since=T0 - timedelta(hours=1), now=at(100))
    assert summary.total_tickets == 1
    assert summary.time_to_assign_seconds.median == 10.0
    assert summary.since == T0 - timedelta(hours=1)


async def test_summary_takes_a_time_without_offset_as_utc(tickets, agents):
    await project(tickets, agents, created(when=T0))
    summary = await handlers.summary(tickets, since=T0.replace(tzinfo=None), now=at(1))
    assert summary.total_tickets == 1
    assert summary.since == T0


async def test_a_department_sees_its_handed_on_tickets_but_not_the_receivers_scorecard(
    tickets, agents
):
    await project(
        tickets,
        agents,
        created("T-1", when=T0, department="finance"),
        transferred("T-1", when=at(100), sequence=2, to="support"),
        created("T-2", when=T0, department="legal"),
    )
    finance = Scope(departments=frozenset({"finance"}))
    summary = await handlers.summary(tickets, now=at(200), scope=finance)
    assert summary.total_tickets == 1
    assert [report.department for report in summary.departments] == ["finance"]
    support = await handlers.summary(
        tickets, now=at(200), scope=Scope(departments=frozenset({"support"}))
    )
    assert [report.department for report in support.departments] == ["support"]
    assert support.departments[0].waiting["open"].count == 0
