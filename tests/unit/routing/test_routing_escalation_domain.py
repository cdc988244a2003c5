"""Escalation steps over waiting time: when each step's timer is due, and what a timer owes
when it fires, against a clock the test moves."""

from datetime import UTC, datetime, timedelta

from routing.domain import RoutingTicket, SkillRequirement
from routing.domain.escalation import claim_key, fire, higher, sla_due, timers_for
from routing.domain.policies import EscalationStep, QueuePolicy
from routing.domain.sla import SlaPolicy
from routing.domain.sla_ticket import TicketSla
from routing.domain.tickets import MOVED_UP
from ticketflow_shared.events import EscalationTrigger, Priority, SlaTarget
from ticketflow_shared.testing import FakeClock

QUEUED = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
POLICY = QueuePolicy(
    "billing",
    required=(SkillRequirement("billing", 6),),
    steps=(
        EscalationStep(300, drop_preferred=True),
        EscalationStep(900, lower_levels_by=2),
        EscalationStep(1800, overflow_to="technical"),
        EscalationStep(2700, raise_priority=Priority.urgent, page_supervisor=True),
    ),
    version=3,
)
TICKET = RoutingTicket(
    "TF-1", "billing", Priority.normal, QUEUED, SkillRequirement("billing", 6), "billing"
)


def timer(index: int) -> dict:
    return timers_for("TF-1", POLICY, QUEUED)[index].data


def test_each_step_is_due_its_wait_after_the_ticket_was_queued() -> None:
    timers = timers_for("TF-1", POLICY, QUEUED)
    waits = [timedelta(seconds=s) for s in (300, 900, 1800, 2700)]
    assert [t.due - QUEUED for t in timers] == waits
    assert len({t.key for t in timers}) == 4
    assert timers[1].data == {
        "ticket": "TF-1",
        "policy": "billing",
        "version": 3,
        "step": 1,
        "queued_at": "2025-03-01T09:00:00.123000+00:00",
    }


def test_a_relaxing_step_is_recorded_and_announces_nothing() -> None:
    clock = FakeClock(QUEUED)
    clock.advance(900)
    fired = fire(TICKET, POLICY, QUEUED, timer(1), clock.now())
    assert fired is not None
    assert (fired.step, fired.actions, fired.events) == (1, ["lower_levels_by:2"], [])
    assert fired.key == claim_key("TF-1", POLICY, 1) == "TF-1|billing|v3|1"
    assert fired.due_at == fired.fired_at == QUEUED + timedelta(seconds=900)


def test_raising_and_paging_announce_a_wait_escalation_from_routing() -> None:
    clock = FakeClock(QUEUED)
    clock.advance(2701)  # fired late: recorded when it fired, not when it was due
    fired = fire(TICKET, POLICY, QUEUED, timer(3), clock.now())
    assert fired is not None and fired.raised_to is Priority.urgent
    [event] = fired.events
    assert (event.source, event.trigger, event.priority) == (
        "routing",
        EscalationTrigger.wait,
        Priority.urgent,
    )
    assert event.page_supervisor and event.step == 3 and event.department == "billing"
    assert event.escalated_at == clock.now() == fired.fired_at
    assert fired.due_at == QUEUED + timedelta(seconds=2700)


def test_an_overflow_names_the_department_it_moves_to() -> None:
    fired = fire(TICKET, POLICY, QUEUED, timer(2), QUEUED + timedelta(seconds=1800))
    assert fired is not None
    assert fired.overflow_to == "technical" and fired.events[0].overflow_to == "technical"
    assert fired.actions == ["overflow_to:technical"]


def test_a_step_never_lowers_the_priority() -> None:
    urgent = RoutingTicket("TF-1", "billing", Priority.urgent, QUEUED, SkillRequirement("b"))
    fired = fire(urgent, POLICY, QUEUED, timer(3), QUEUED + timedelta(seconds=2700))
    assert fired is not None and fired.raised_to is None
    assert fired.events[0].priority is None and fired.events[0].page_supervisor
    assert higher(Priority.high, Priority.low) is None
    assert higher(Priority.low, Priority.high) is Priority.high


def test_a_stale_timer_fires_nothing() -> None:
    later = QUEUED + timedelta(seconds=3000)
    requeued = QUEUED + timedelta(seconds=60)
    newer = QueuePolicy("billing", required=POLICY.required, steps=POLICY.steps, version=4)
    assert fire(TICKET, POLICY, requeued, timer(0), later) is None  # queued again since
    assert fire(TICKET, newer, QUEUED, timer(0), later) is None  # policy changed since
    assert fire(TICKET, POLICY, QUEUED, {**timer(0), "step": 9}, later) is None
    assert fire(TICKET, POLICY, QUEUED, {**timer(0), "step": "0"}, later) is None


def queued(ticket_id: str, priority: Priority, minutes: int, due: datetime | None) -> RoutingTicket:
    created = QUEUED + timedelta(minutes=minutes)
    requirement = SkillRequirement("billing")
    return RoutingTicket(ticket_id, "billing", priority, created, requirement, due_rank=due)


def test_the_queue_serves_priority_then_sla_due_then_age() -> None:
    soon, later = QUEUED + timedelta(hours=1), QUEUED + timedelta(hours=4)
    tickets = [
        queued("no-due-old", Priority.normal, 0, None),
        queued("due-later", Priority.normal, 5, later),
        queued("due-soon", Priority.normal, 9, soon),
        queued("moved-up", Priority.normal, 20, MOVED_UP),
        queued("urgent", Priority.urgent, 30, None),
        queued("no-due-new", Priority.normal, 10, None),
    ]
    order = [t.ticket_id for t in sorted(tickets, key=lambda t: t.queue_key)]
    assert order == ["urgent", "moved-up", "due-soon", "due-later", "no-due-old", "no-due-new"]


def test_a_tickets_place_is_its_earliest_running_sla_due_time() -> None:
    sla = SlaPolicy(
        name="std",
        targets={
            Priority.normal: {SlaTarget.first_response: 3600.0, SlaTarget.resolution: 86400.0}
        },
    )
    ticket = TicketSla.open("TF-1", sla, Priority.normal, QUEUED, "billing")
    assert sla_due(ticket) == QUEUED + timedelta(hours=1)
    assert sla_due(None) is None
