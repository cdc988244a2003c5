from reporting_builders import T0, assigned, at, created, fold, notified, resolved

from reporting.domain.summary import summarize
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import Envelope, Priority, TicketStatus

NO_TICKETS = dict.fromkeys(TicketStatus, 0)


def rows(*tickets: list[Envelope]) -> list[TicketRow]:
    return [fold(*events) for events in tickets]


def test_summary_counts_and_times_a_mixed_set_of_tickets():
    tickets = rows(
        [created("T-1", when=T0), assigned("T-1", when=at(60), department="finance")],
        [
            created("T-2", when=T0, category="tech", priority=Priority.urgent),
            assigned("T-2", when=at(120), department="support"),
            notified("T-2", when=at(5)),
            resolved("T-2", when=at(600)),
        ],
        [created("T-3", when=T0, category="tech")],
        [assigned("T-4", when=at(30), department="finance")],
    )
    summary = summarize(tickets, generated_at=at(1000))

    assert summary.total_tickets == 4
    assert summary.backlog == 3
    assert summary.by_status == {**NO_TICKETS, "new": 1, "open": 2, "solved": 1}
    assert summary.by_department == {"finance": 2, "support": 1, "unassigned": 1}
    assert summary.by_category == {"billing": 1, "tech": 2, "unknown": 1}
    assert summary.by_priority == {"normal": 2, "unknown": 1, "urgent": 1}
    assert summary.by_channel == {"unknown": 1, "web": 3}
    # T-4's creation is not known yet, so it has no time to assignment.
    assert summary.time_to_assign_seconds.model_dump() == {"count": 2, "median": 90.0, "p90": 114.0}
    assert summary.time_to_resolve_seconds.model_dump() == {
        "count": 1,
        "median": 600.0,
        "p90": 600.0,
    }
    assert summary.time_to_first_notification_seconds.median == 5.0


def test_summary_of_no_tickets_has_zeros_and_null_timings():
    summary = summarize([], generated_at=T0)
    assert summary.total_tickets == 0
    assert summary.by_status == NO_TICKETS
    assert summary.by_department == {}
    assert summary.time_to_assign_seconds.model_dump() == {"count": 0, "median": None, "p90": None}
