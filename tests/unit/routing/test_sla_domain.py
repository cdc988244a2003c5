"""SLA clocks: targets, pauses, business hours, priority changes, reply cycles, reopen."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from routing.domain.calendars import Calendar
from routing.domain.sla import BreachAction, ClockState, SlaPolicy, select_policy
from routing.domain.sla_ticket import TicketSla
from ticketflow_shared.events import (
    AuthorKind,
    Priority,
    SlaBreachedV1,
    SlaTarget,
    SlaWarningV1,
    TicketStatus,
    Visibility,
)
from ticketflow_shared.testing import FakeClock

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
FR, NR, RES = SlaTarget.first_response, SlaTarget.next_response, SlaTarget.resolution
TARGETS = {
    Priority.urgent: {FR: 900, NR: 900, RES: 4 * 3600},
    Priority.high: {FR: 3600, NR: 3600, RES: 8 * 3600},
    Priority.normal: {FR: 4 * 3600, RES: 24 * 3600},
}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def policy(calendar: Calendar | None = None, **kwargs) -> SlaPolicy:
    return SlaPolicy(
        name=kwargs.pop("name", "standard"),
        targets=kwargs.pop("targets", TARGETS),
        calendar=calendar or Calendar.always_open(),
        **kwargs,
    )


def office_policy(**kwargs) -> SlaPolicy:
    return policy(Calendar.weekly("Europe/Berlin", OFFICE, country="DE"), **kwargs)


def test_the_most_specific_policy_wins_then_rank() -> None:
    general = policy(name="general")
    billing = policy(name="billing", department="billing", rank=5)
    gold_billing = policy(name="gold", department="billing", customer_tier="gold", rank=9)
    early = policy(name="early", department="billing", rank=1)
    chosen = [general, billing, gold_billing, early]
    assert select_policy(chosen, Priority.high, department="billing", tier="gold") is gold_billing
    assert select_policy(chosen, Priority.high, department="billing") is early
    assert select_policy(chosen, Priority.high, department="technical") is general
    assert select_policy(chosen, Priority.low) is None  # no policy sets targets for low


def test_a_ticket_starts_first_response_and_resolution_clocks() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.urgent, clock.now())
    first = ticket.running(FR)
    assert first is not None and ticket.running(RES) is not None
    assert first.due_at == clock.now() + timedelta(seconds=900)
    assert first.warn_due_at == clock.now() + timedelta(seconds=675)
    assert ticket.running(NR) is None


def test_warning_then_breach_each_once_at_their_time() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.urgent, clock.now())
    first = ticket.running(FR)
    assert not first.breach(clock.now())
    clock.advance(675)
    assert first.warn(clock.now()) and not first.warn(clock.now())
    clock.advance(225)
    assert first.breach(clock.now()) and not first.breach(clock.now())
    warning, breach = first.events
    assert isinstance(warning, SlaWarningV1) and warning.share == 0.75
    assert isinstance(breach, SlaBreachedV1) and breach.due_at == breach.at


def test_a_public_agent_reply_meets_the_first_response() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.high, clock.now())
    clock.advance(600)
    ticket.message(AuthorKind.agent, Visibility.internal, clock.now())
    assert ticket.running(FR) is not None  # an internal note is no response
    ticket.message(AuthorKind.agent, Visibility.public, clock.now())
    met = ticket.latest(FR)
    assert met.state is ClockState.met and met.used == 600
    assert not met.breach(clock.now() + timedelta(hours=2))


def test_customer_messages_after_a_reply_start_next_response_cycles() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.high, clock.now())
    ticket.message(AuthorKind.customer, Visibility.public, clock.now())
    assert ticket.running(NR) is None  # nobody has answered yet: first response still runs
    ticket.message(AuthorKind.agent, Visibility.public, clock.now())
    ticket.message(AuthorKind.customer, Visibility.public, clock.now())
    ticket.message(AuthorKind.customer, Visibility.public, clock.now())  # same cycle
    assert ticket.running(NR).cycle == 1
    clock.advance(60)
    ticket.message(AuthorKind.agent, Visibility.public, clock.now())
    ticket.message(AuthorKind.customer, Visibility.public, clock.now())
    assert ticket.latest(NR).cycle == 2
    assert ticket.clocks["TF-1:next_response:1"].state is ClockState.met


def test_pending_pauses_and_resume_recomputes_the_due_time() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.high, clock.now())
    clock.advance(1000)
    ticket.change_status(TicketStatus.pending, clock.now())
    first = ticket.latest(FR)
    assert first.state is ClockState.paused and first.due_at is None
    clock.advance(5000)
    assert not first.breach(clock.now())
    ticket.change_status(TicketStatus.open, clock.now())
    assert first.due_at == clock.now() + timedelta(seconds=2600)
    assert first.left(ticket.calendar, clock.now()) == 2600


def test_on_hold_pauses_only_when_the_policy_says_so() -> None:
    clock = FakeClock()
    plain = TicketSla.open("TF-1", policy(), Priority.high, clock.now())
    both = TicketSla.open(
        "TF-2",
        policy(pause_on=frozenset({TicketStatus.pending, TicketStatus.on_hold})),
        Priority.high,
        clock.now(),
    )
    for ticket in (plain, both):
        ticket.change_status(TicketStatus.on_hold, clock.now())
    assert plain.latest(FR).state is ClockState.running
    assert both.latest(FR).state is ClockState.paused


def test_business_hours_skip_the_night_and_weekend() -> None:
    friday = berlin(2026, 12, 4, 16, 30)
    ticket = TicketSla.open("TF-1", office_policy(), Priority.high, friday)
    assert ticket.latest(FR).due_at == berlin(2026, 12, 7, 9, 30)  # Monday


def test_business_hours_skip_public_holidays() -> None:
    christmas_eve = berlin(2026, 12, 24, 16, 30)  # Thursday; 25th and 26th are holidays
    ticket = TicketSla.open("TF-1", office_policy(), Priority.high, christmas_eve)
    assert ticket.latest(FR).due_at == berlin(2026, 12, 28, 9, 30)


def test_business_hours_across_the_clock_change() -> None:
    calendar = Calendar.weekly("Europe/Berlin", {"sat": ["00:00-24:00"], "sun": ["00:00-24:00"]})
    start = berlin(2026, 3, 28, 12)  # the Sunday after loses an hour
    ticket = TicketSla.open("TF-1", policy(calendar), Priority.normal, start)
    due = ticket.latest(RES).due_at
    assert due - start == timedelta(hours=24)
    assert calendar.between(start, due) == 24 * 3600


def test_closed_dates_count_as_closed() -> None:
    calendar = Calendar.weekly("Europe/Berlin", OFFICE, closed_dates=[date(2026, 12, 3)])
    ticket = TicketSla.open("TF-1", policy(calendar), Priority.high, berlin(2026, 12, 2, 16, 30))
    assert ticket.latest(FR).due_at == berlin(2026, 12, 4, 9, 30)


def test_a_priority_change_retargets_running_clocks_keeping_time_used() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.normal, clock.now())
    clock.advance(600)
    ticket.change_priority(Priority.urgent, clock.now())
    first = ticket.latest(FR)
    assert first.priority is Priority.urgent and first.target_seconds == 900
    assert first.due_at == clock.now() + timedelta(seconds=300)


def test_reopen_restarts_resolution_with_the_time_already_used() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.urgent, clock.now())
    clock.advance(3600)
    ticket.change_status(TicketStatus.solved, clock.now())
    resolution = ticket.latest(RES)
    assert resolution.state is ClockState.met
    clock.advance(10_000)
    ticket.change_status(TicketStatus.open, clock.now())
    assert resolution.state is ClockState.running
    assert resolution.due_at == clock.now() + timedelta(seconds=3 * 3600)


def test_closed_stops_every_clock() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.urgent, clock.now())
    ticket.message(AuthorKind.agent, Visibility.public, clock.now())
    ticket.message(AuthorKind.customer, Visibility.public, clock.now())
    ticket.change_status(TicketStatus.closed, clock.now())
    assert all(not c.open for c in ticket.clocks.values())
    assert not ticket.latest(RES).breach(clock.now() + timedelta(days=1))


def test_a_breach_raises_one_step_or_to_a_given_priority() -> None:
    assert policy(on_breach=(BreachAction.raise_priority,)).raised(Priority.normal) is Priority.high
    assert policy().raised(Priority.urgent) is Priority.urgent
    assert policy(raise_to=Priority.urgent).raised(Priority.low) is Priority.urgent


@given(
    start_minutes=st.integers(0, 60 * 24 * 14),
    seconds=st.integers(1, 5 * 8 * 3600),
)
def test_due_is_never_before_start_plus_target(start_minutes: int, seconds: int) -> None:
    start = berlin(2026, 3, 23) + timedelta(minutes=start_minutes)
    targets = {Priority.normal: {RES: seconds}}
    ticket = TicketSla.open("TF-1", office_policy(targets=targets), Priority.normal, start)
    clock = ticket.latest(RES)
    assert clock.due_at >= start + timedelta(seconds=seconds)
    assert ticket.calendar.between(start, clock.due_at) == seconds


@given(
    pauses=st.lists(st.tuples(st.integers(0, 7200), st.integers(0, 7200)), max_size=6),
)
def test_paused_time_is_never_counted(pauses: list[tuple[int, int]]) -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.normal, clock.now())
    running = 0
    for run, pause in pauses:
        clock.advance(run)
        running += run
        ticket.change_status(TicketStatus.pending, clock.now())
        clock.advance(pause)
        ticket.change_status(TicketStatus.open, clock.now())
    resolution = ticket.latest(RES)
    assert resolution.used_at(ticket.calendar, clock.now()) == running
    assert resolution.due_at == clock.now() + timedelta(seconds=24 * 3600 - running)


def test_a_breach_announces_the_raise_and_the_page() -> None:
    clock = FakeClock()
    actions = (BreachAction.raise_priority, BreachAction.page_supervisor)
    ticket = TicketSla.open("TF-1", policy(on_breach=actions), Priority.high, clock.now())
    first = ticket.running(FR)
    clock.advance(3600)
    assert ticket.breach(first, clock.now()) and not ticket.breach(first, clock.now())
    breach, escalated = first.events
    assert isinstance(breach, SlaBreachedV1)
    assert (escalated.trigger, escalated.source) == ("sla", "routing")
    assert escalated.priority is Priority.urgent and escalated.page_supervisor


def test_a_breach_without_actions_escalates_nothing() -> None:
    clock = FakeClock()
    ticket = TicketSla.open("TF-1", policy(), Priority.high, clock.now())
    clock.advance(3600)
    assert ticket.breach(ticket.running(FR), clock.now())
    assert [type(e) for e in ticket.latest(FR).events] == [SlaBreachedV1]
