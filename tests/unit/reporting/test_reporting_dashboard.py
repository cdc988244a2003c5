import pytest
from reporting_builders import (
    T0,
    assigned,
    at,
    created,
    fold,
    message,
    status_changed,
    transferred,
)

from reporting.dashboard import human_duration, render_dashboard
from reporting.domain.agents import AgentReport
from reporting.domain.summary import summarize
from reporting.domain.tickets import StreamState, TicketRow
from ticketflow_shared.events import TicketStatus

NEW, OPEN, PENDING, SOLVED = (
    TicketStatus.new,
    TicketStatus.open,
    TicketStatus.pending,
    TicketStatus.solved,
)


def agent(name: str = "Ada", department: str = "finance") -> AgentReport:
    return AgentReport(
        agent_id="A-1",
        name=name,
        department=department,
        presence="available",
        capacity=3,
        active_tickets=1,
        open_tickets=1,
        assigned_count=7,
        resolved_count=5,
        updated_at=T0,
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.032, "32 ms"),
        (4.25, "4.2 s"),
        (42, "42 s"),
        (90, "1.5 min"),
        (7200, "2.0 h"),
        (3 * 86400, "3.0 d"),
    ],
)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_dashboard_shows_the_numbers_and_refreshes():
    rows = [
        TicketRow(
            ticket_id="T-1",
            streams={"routing": StreamState(status=TicketStatus.open, sequence=2)},
            category="billing",
            created_at=T0,
            assigned_at=at(90),
        ),
        TicketRow(ticket_id="T-2", category="billing", created_at=T0),
    ]
    html = render_dashboard(summarize(rows, generated_at=at(100)), [agent()], refresh_seconds=5)
    assert '<meta http-equiv="refresh" content="5">' in html
    assert '<div class="value" id="total-tickets">2</div>' in html
    assert '<div class="value" id="backlog">2</div>' in html
    assert "1.5 min" in html
    assert "<td>unassigned</td>" in html
    assert "<td>Ada</td>" in html


def test_dashboard_escapes_every_value_from_events():
    hostile = '<script>alert("x")</script>'
    rows = [TicketRow(ticket_id="T-1", category=hostile, created_at=T0)]
    html = render_dashboard(summarize(rows, generated_at=T0), [agent(name=hostile)])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def desk_rows(department: str = "finance", ticket_id: str = "T-9") -> list[TicketRow]:
    opened = [
        created(ticket_id, when=T0, department=department),
        assigned(ticket_id, when=at(60), department=department),
        status_changed(ticket_id, when=at(60), sequence=2, status=OPEN, previous=NEW),
    ]
    return [
        fold(
            *opened,
            message(ticket_id, when=at(90), sequence=3),
            status_changed(ticket_id, when=at(120), sequence=4, status=SOLVED, previous=OPEN),
            status_changed(
                ticket_id, when=at(300), sequence=5, status=OPEN, previous=SOLVED, reopened=True
            ),
            status_changed(ticket_id, when=at(400), sequence=6, status=PENDING, previous=OPEN),
        ),
        fold(
            created("T-10", when=T0, department=department),
            transferred("T-10", when=at(30), sequence=2, source=department, to="support"),
        ),
    ]


def test_dashboard_shows_the_desk_tiles_and_where_tickets_wait():
    html = render_dashboard(summarize(desk_rows(), generated_at=at(4000)), [agent()])
    assert '<div class="value" id="status-pending">1</div>' in html
    assert '<div class="value" id="status-on_hold">0</div>' in html
    assert '<div class="value" id="first-response">1.5 min</div>' in html
    assert '<div class="value" id="reopen-rate">100.0 %</div>' in html
    assert '<div class="value" id="handoffs">0.50</div>' in html
    assert '<table id="waiting">' in html
    assert "T-9 · 1.0 h" in html  # pending since 400 s, seen at 4000 s
    assert '<table id="time-in-status">' in html


def test_dashboard_escapes_the_desks_values():
    hostile = "<img src=x onerror=alert(1)>"
    rows = desk_rows(department=hostile, ticket_id=f"T-{hostile}")
    html = render_dashboard(summarize(rows, generated_at=at(4000)), [agent()])
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
