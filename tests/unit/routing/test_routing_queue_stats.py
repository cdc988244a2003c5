"""Live queue figures per department, from the queue and the agents."""

from datetime import UTC, datetime, timedelta

from routing.domain import Agent, QueueEntry, RoutingTicket, SkillRequirement
from routing.domain.queue_stats import queue_stats
from ticketflow_shared.events import Presence, Priority

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def waiting(ticket_id: str, priority: Priority, minutes: int, level: int = 1) -> QueueEntry:
    ticket = RoutingTicket(
        ticket_id=ticket_id,
        category="billing",
        priority=priority,
        created_at=NOW - timedelta(minutes=minutes),
        requirement=SkillRequirement("billing", level),
        department="billing",
    )
    return QueueEntry(ticket, NOW - timedelta(minutes=minutes))


def agent(agent_id: str, level: int, presence=Presence.available, capacity=1) -> Agent:
    return Agent(agent_id, agent_id, "billing", {"billing": level}, capacity, presence)


def test_figures_per_department():
    entries = [
        waiting("t1", Priority.urgent, 5),
        waiting("t2", Priority.normal, 30, level=7),
        waiting("t3", Priority.normal, 10),
    ]
    busy = agent("busy", 9)
    busy.held = {0: "other"}
    agents = [agent("ana", 5), busy, agent("away", 5, Presence.away), agent("night", 5)]
    [row] = queue_stats(
        entries,
        agents,
        now=NOW,
        on_shift=lambda a: a.agent_id != "night",
        offers_by_department={"billing": 2},
        at_risk={"t2"},
    )
    assert (row.department, row.waiting) == ("billing", 3)
    assert row.waiting_by_priority == {"urgent": 1, "high": 0, "normal": 2, "low": 0}
    assert (row.longest_wait_seconds, row.oldest_ticket_id) == (1800, "t2")
    assert (row.eligible_agents, row.available_agents) == (4, 1)  # only ana is free and on shift
    assert (row.offers_outstanding, row.sla_at_risk) == (2, 1)


def test_a_department_with_agents_and_nobody_waiting():
    [row] = queue_stats(
        [],
        [agent("ana", 1)],
        now=NOW,
        on_shift=lambda a: True,
        offers_by_department={},
        at_risk=set(),
    )
    assert (row.waiting, row.longest_wait_seconds, row.eligible_agents, row.available_agents) == (
        0,
        None,
        1,
        1,
    )


def test_agents_below_every_waiting_tickets_level_are_not_eligible():
    [row] = queue_stats(
        [waiting("t1", Priority.high, 1, level=8)],
        [agent("junior", 3)],
        now=NOW,
        on_shift=lambda a: True,
        offers_by_department={},
        at_risk=set(),
    )
    assert (row.eligible_agents, row.available_agents) == (0, 0)
