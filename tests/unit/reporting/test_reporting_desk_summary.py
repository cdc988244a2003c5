"""The desk's KPIs: backlog and statuses, reopen rate, first response, handoffs, time per
department and status, where tickets wait, and the scorecards."""

from reporting_builders import (
    CLOSED,
    NEW,
    ON_HOLD,
    OPEN,
    PENDING,
    SOLVED,
    T0,
    agent_updated,
    assigned,
    at,
    consulted,
    created,
    fold,
    message,
    resolved,
    status_changed,
    transferred,
    updated,
)

from reporting.domain.agents import AgentProfile, agent_reports
from reporting.domain.summary import summarize
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import AgentUpdatedV1, AuthorKind, Priority, Visibility


def opened(ticket_id: str, department: str = "finance", agent_id: str = "A-1") -> list:
    return [
        created(ticket_id, when=T0, department=department),
        assigned(ticket_id, when=at(60), agent_id=agent_id, department=department),
        status_changed(
            ticket_id,
            when=at(60),
            sequence=2,
            status=OPEN,
            previous=NEW,
            agent_id=agent_id,
            department=department,
        ),
    ]


def desk() -> list[TicketRow]:
    """T-1 answered at 100 s and solved; T-2 answered at 300 s, solved, reopened; T-3 pending
    since 500 s; T-4 on hold since 200 s after a handoff to support; T-5 closed."""
    return [
        fold(
            *opened("T-1"),
            message("T-1", when=at(100), sequence=3),
            status_changed("T-1", when=at(1000), sequence=4, status=SOLVED, previous=OPEN),
        ),
        fold(
            *opened("T-2", agent_id="A-2"),
            message("T-2", when=at(300), sequence=3, agent_id="A-2"),
            status_changed(
                "T-2", when=at(400), sequence=4, status=SOLVED, previous=OPEN, agent_id="A-2"
            ),
            resolved("T-2", when=at(400), sequence=5, agent_id="A-2"),
            message("T-2", when=at(800), sequence=6, kind=AuthorKind.customer),
            status_changed(
                "T-2",
                when=at(800),
                sequence=7,
                status=OPEN,
                previous=SOLVED,
                reopened=True,
                agent_id="A-2",
            ),
        ),
        fold(
            *opened("T-3"),
            message("T-3", when=at(450), sequence=3, visibility=Visibility.internal),
            status_changed("T-3", when=at(500), sequence=4, status=PENDING, previous=OPEN),
            updated("T-3", when=at(510), sequence=5, priority=Priority.urgent),
        ),
        fold(
            *opened("T-4"),
            transferred("T-4", when=at(100), sequence=3, to="support"),
            status_changed(
                "T-4",
                when=at(200),
                sequence=4,
                status=ON_HOLD,
                previous=OPEN,
                agent_id=None,
                department="support",
            ),
            consulted("T-4", when=at(250), sequence=5),
            consulted("T-4", when=at(260), sequence=6, answered=True),
        ),
        fold(
            *opened("T-5"),
            status_changed("T-5", when=at(600), sequence=3, status=SOLVED, previous=OPEN),
            status_changed(
                "T-5", when=at(9000), sequence=4, status=CLOSED, previous=SOLVED, agent_id=None
            ),
        ),
    ]


def test_backlog_is_every_ticket_not_solved_or_closed_and_every_status_is_counted():
    summary = summarize(desk(), generated_at=at(10_000))
    assert summary.backlog == 3  # the reopened, the pending and the one on hold
    assert summary.by_status == {
        "new": 0,
        "queued": 0,
        "open": 1,
        "pending": 1,
        "on_hold": 1,
        "solved": 1,
        "closed": 1,
    }
    assert summary.by_priority == {"normal": 4, "urgent": 1}


def test_reopen_rate_is_reopened_over_ever_solved():
    reopens = summarize(desk(), generated_at=at(10_000)).reopens
    assert (reopens.solved_tickets, reopens.reopened_tickets, reopens.reopens) == (3, 1, 1)
    assert reopens.rate == 0.333


def test_self_service_rate_is_tickets_the_customer_solved_over_ever_solved():
    self_served = fold(
        *opened("T-6"),
        status_changed("T-6", when=at(700), sequence=3, status=SOLVED, previous=OPEN),
        resolved("T-6", when=at(700), sequence=4, self_service_article="reset-password"),
        message("T-6", when=at(900), sequence=5, kind=AuthorKind.customer),
        status_changed("T-6", when=at(900), sequence=6, status=OPEN, previous=SOLVED),
    )
    summary = summarize([*desk(), self_served], generated_at=at(10_000))
    assert self_served.self_served_at == at(700)  # reopening later does not undo it
    assert summary.self_service.model_dump() == {
        "solved_tickets": 4,
        "self_served_tickets": 1,
        "rate": 0.25,
    }
    assert summarize(desk(), generated_at=at(10_000)).self_service.self_served_tickets == 0


def test_first_response_is_the_first_public_agent_reply():
    summary = summarize(desk(), generated_at=at(10_000))
    assert summary.time_to_first_response_seconds.model_dump() == {
        "count": 2,
        "median": 200.0,
        "p90": 280.0,
    }


def test_resolution_runs_to_the_last_solve_of_tickets_that_are_done():
    summary = summarize(desk(), generated_at=at(10_000))
    # T-1 (1000 s) and T-5 (600 s); the reopened T-2 is not resolved any more.
    assert summary.time_to_resolve_seconds.model_dump() == {
        "count": 2,
        "median": 800.0,
        "p90": 960.0,
    }
    assert summary.time_to_first_resolve_seconds.count == 3


def test_handoffs_time_per_department_and_time_in_status():
    summary = summarize(desk(), generated_at=at(10_000))
    assert summary.handoffs.model_dump() == {"total": 1, "tickets_handed_off": 1, "per_ticket": 0.2}
    departments = {report.department: report for report in summary.departments}
    # Finance held T-1 and T-5 until solved (1000 s, 600 s) and T-4 until its handoff (100 s).
    assert departments["finance"].time_owned_seconds.model_dump() == {
        "count": 3,
        "median": 600.0,
        "p90": 920.0,
    }
    assert (departments["support"].handoffs_in, departments["finance"].handoffs_out) == (1, 1)
    assert departments["support"].time_owned_seconds.count == 0  # still holds it
    pending = summary.time_in_status_seconds["pending"]
    assert pending.count == 0  # T-3 is still pending: its time is in the waiting table
    assert summary.time_in_status_seconds["open"].count == 5


def test_where_tickets_wait_names_the_oldest_per_department_and_status():
    summary = summarize(desk(), generated_at=at(10_000))
    departments = {report.department: report for report in summary.departments}
    finance = departments["finance"].waiting
    assert (finance["pending"].count, finance["pending"].oldest_ticket_id) == (1, "T-3")
    assert finance["pending"].longest_seconds == 9500.0
    assert (finance["open"].count, finance["open"].oldest_ticket_id) == (1, "T-2")
    assert finance["open"].longest_seconds == 9200.0
    support = departments["support"].waiting
    assert (support["on_hold"].count, support["on_hold"].longest_seconds) == (1, 9800.0)
    assert (departments["finance"].tickets, departments["finance"].backlog) == (4, 2)


def test_department_scorecards_have_first_response_and_reopens():
    departments = {r.department: r for r in summarize(desk(), generated_at=at(10_000)).departments}
    assert departments["finance"].first_response_seconds.count == 2
    assert (departments["finance"].reopens, departments["support"].reopens) == (1, 0)


def test_the_conversation_counts():
    conversation = summarize(desk(), generated_at=at(10_000)).conversation
    assert conversation.model_dump() == {
        "customer_messages": 1,
        "public_replies": 2,
        "internal_notes": 1,
        "consults": 1,
        "consults_answered": 1,
        "priority_changes": 1,
    }


def test_agent_scorecards_have_first_responses_and_reopens():
    payload = agent_updated("A-2", name="Bo").payload()
    assert isinstance(payload, AgentUpdatedV1)
    reports = {r.agent_id: r for r in agent_reports([AgentProfile.from_event(payload)], desk())}
    ada, bo = reports["A-1"], reports["A-2"]
    assert (ada.first_responses, ada.first_response_seconds.median, ada.reopened_count) == (
        1,
        100.0,
        0,
    )
    assert (bo.first_responses, bo.first_response_seconds.median, bo.reopened_count) == (
        1,
        300.0,
        1,
    )
    assert (bo.open_tickets, bo.resolved_count) == (1, 0)
