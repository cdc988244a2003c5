"""The ownership chain: periods per department and agent, time owned, followers, and each
ended period as a span in the ticket's trace."""

from datetime import timedelta

from intake_fakes import T0, assigned, new_ticket, queued, routing
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from intake.adapters.ownership_spans import export_ended
from intake.domain.categories import CategoryRule
from intake.domain.ownership import OwnershipPeriod
from ticketflow_shared.events import Priority

BILLING_DESK = CategoryRule("billing", (), Priority.high, "billing")


def minutes(n: float):
    return T0 + timedelta(minutes=n)


def test_a_new_ticket_is_owned_by_its_department_from_its_creation():
    ticket = new_ticket(BILLING_DESK)
    assert ticket.ownership.periods == [OwnershipPeriod("billing", T0)]


def test_an_agent_period_opens_on_assignment_and_time_accumulates_on_transfer():
    ticket = new_ticket(BILLING_DESK)
    ticket.apply_assigned(routing(1), assigned(ticket.id, "ana"), minutes(2))
    ticket.transfer(
        to_department="technical",
        skill=None,
        note="router",
        ticked=[],
        checklist=None,
        actor="user:ana",
        now=minutes(12),
    )
    ticket.apply_assigned(routing(2), assigned(ticket.id, "carla"), minutes(15))
    ticket.resolve("fixed", minutes(45))

    chain = [
        (p.department, p.agent_id, p.started_at, p.ended_at, p.handed_from, p.handed_to)
        for p in ticket.ownership.periods
    ]
    assert chain == [
        ("billing", None, T0, minutes(2), None, None),
        ("billing", "ana", minutes(2), minutes(12), None, "technical"),
        ("technical", None, minutes(12), minutes(15), "billing", None),
        ("technical", "carla", minutes(15), minutes(45), None, None),
    ]
    assert ticket.ownership.periods[2].note == "router"
    assert ticket.ownership.department_seconds == {"billing": 720.0, "technical": 1980.0}
    assert ticket.ownership.agent_seconds == {"ana": 600.0, "carla": 1800.0}
    assert ticket.ownership.current is None
    assert ticket.ownership.followers == ["ana", "carla"]


def test_being_queued_again_ends_the_agents_period_and_they_follow():
    ticket = new_ticket(BILLING_DESK)
    ticket.apply_assigned(routing(1), assigned(ticket.id, "ana"), minutes(1))
    ticket.apply_queued(routing(2), queued(ticket.id), minutes(4))

    assert ticket.ownership.agent_seconds == {"ana": 180.0}
    assert ticket.ownership.followers == ["ana"]
    assert ticket.ownership.current == OwnershipPeriod("billing", minutes(4))


def test_a_ticket_from_before_the_chain_starts_it_at_its_creation():
    ticket = new_ticket(BILLING_DESK)
    ticket.ownership.periods.clear()
    ticket.resolve(None, minutes(30))
    assert ticket.ownership.department_seconds == {"billing": 1800.0}


def test_ended_after_names_the_periods_a_change_ended():
    ticket = new_ticket(BILLING_DESK)
    mark = ticket.ownership.ended_count
    ticket.apply_assigned(routing(1), assigned(ticket.id, "ana"), minutes(1))
    ticket.resolve(None, minutes(3))
    assert [p.agent_id for p in ticket.ownership.ended_after(mark)] == [None, "ana"]


def test_each_ended_period_is_a_span_in_the_tickets_trace():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("POST /tickets") as creation:
        parent = creation.get_span_context()
    traceparent = f"00-{parent.trace_id:032x}-{parent.span_id:016x}-01"
    periods = [
        OwnershipPeriod("billing", minutes(0), "ana", minutes(10), None, "technical"),
        OwnershipPeriod("technical", minutes(10)),  # still open: no span yet
    ]

    export_ended("TF-1", traceparent, periods, tracer)

    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("ownership")]
    [span] = spans
    assert span.name == "ownership billing"
    assert span.context.trace_id == parent.trace_id
    assert span.parent is not None and span.parent.span_id == parent.span_id
    assert (span.start_time, span.end_time) == (
        int(minutes(0).timestamp()) * 10**9,
        int(minutes(10).timestamp()) * 10**9,
    )
    assert dict(span.attributes) == {
        "ticketflow.ticket_id": "TF-1",
        "ticketflow.department": "billing",
        "ticketflow.agent_id": "ana",
        "ticketflow.handoff.to": "technical",
    }
    assert span.kind is trace.SpanKind.INTERNAL


def test_a_ticket_without_a_kept_trace_gets_a_trace_of_its_own():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    export_ended(
        "TF-1",
        None,
        [OwnershipPeriod("billing", T0, None, minutes(1))],
        provider.get_tracer("test"),
    )
    [span] = exporter.get_finished_spans()
    assert span.parent is None
