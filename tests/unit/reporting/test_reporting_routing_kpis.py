"""SLA compliance, escalations and offers from routing's events: any order, any repeat."""

import random
from itertools import permutations

from reporting_builders import agent_updated, at, created, fold, message, notified, resolved

from factories import escalated_envelope, offer_ended_envelope, offered_envelope, sla_envelope
from reporting.dashboard import render_dashboard
from reporting.domain.agents import AgentProfile, agent_reports
from reporting.domain.escalations import escalation_report
from reporting.domain.offers import offer_report
from reporting.domain.sla import outcomes, sla_report
from reporting.domain.summary import summarize
from reporting.routing_reports import RoutingKpis
from ticketflow_shared.events import AuthorKind, Presence, Priority


def answered_in_time(ticket_id: str = "T-1") -> list:
    """Replied at once, the customer answers, warned on the next reply, replied, solved."""
    return [
        created(ticket_id, when=at(0), department="billing", priority=Priority.high),
        message(ticket_id, when=at(60), sequence=2),
        message(ticket_id, when=at(120), sequence=3, kind=AuthorKind.customer),
        sla_envelope(
            ticket_id,
            at=at(150),
            breached=False,
            target="next_response",
            cycle=1,
            priority=Priority.high,
        ),
        message(ticket_id, when=at(180), sequence=4),
        resolved(ticket_id, when=at(300), sequence=5),
    ]


def breached_and_warned(ticket_id: str = "T-2") -> list:
    """First reply breached before it came; resolution warned, not yet solved."""
    return [
        created(ticket_id, when=at(0), department="billing"),
        sla_envelope(ticket_id, at=at(3600), target="first_response"),
        message(ticket_id, when=at(4000), sequence=2),
        sla_envelope(ticket_id, at=at(5000), breached=False, target="resolution"),
    ]


def states(events: list) -> list[tuple[str, int, str]]:
    return [(o.target, o.cycle, o.state) for o in outcomes(fold(*events))]


def test_sla_targets_are_met_breached_or_at_risk_from_the_events():
    assert states(answered_in_time()) == [
        ("first_response", 0, "met"),
        ("next_response", 1, "met"),
        ("resolution", 0, "met"),
    ]
    assert states(breached_and_warned()) == [
        ("first_response", 0, "breached"),
        ("resolution", 0, "at_risk"),
    ]


def test_sla_outcomes_are_the_same_in_any_order_and_with_repeats():
    events = breached_and_warned()
    expected = states(events)
    for order in permutations(events):
        assert states([*order, *order[:2]]) == expected
    shuffled = answered_in_time()
    random.Random(7).shuffle(shuffled)
    assert states(shuffled + shuffled) == states(answered_in_time())


def test_sla_report_counts_and_compliance_per_target_department_and_priority():
    report = sla_report([fold(*answered_in_time()), fold(*breached_and_warned())])
    first = next(c for c in report.by_target if c.target == "first_response")
    assert (first.met, first.breached, first.at_risk, first.compliance) == (1, 1, 0, 0.5)
    resolution = next(c for c in report.by_target if c.target == "resolution")
    assert (resolution.met, resolution.at_risk, resolution.compliance) == (1, 1, 1.0)
    assert {c.department for c in report.by_department} == {"billing"}
    high = [c for c in report.by_priority if c.priority == "high"]
    assert {(c.target, c.met) for c in high} == {
        ("first_response", 1),
        ("next_response", 1),
        ("resolution", 1),
    }
    assert report.at_risk_tickets == ["T-2"]


def escalations(ticket_id: str = "T-3") -> list:
    return [
        created(ticket_id, when=at(0), department="billing"),
        escalated_envelope(ticket_id, at=at(600), trigger="wait", reason="30 min waiting"),
        escalated_envelope(
            ticket_id,
            at=at(900),
            trigger="emotion",
            source="intake",
            page_supervisor=True,
            department=None,
            reason="angry customer",
        ),
    ]


def test_escalations_per_trigger_and_department_and_the_escalated_tickets():
    events = escalations()
    for order in permutations(events):
        report = escalation_report([fold(*order, *order)])
        assert report.total == 2
        assert report.by_trigger == {"emotion": 1, "wait": 1}
        assert [(c.trigger, c.department, c.count) for c in report.by_department] == [
            ("emotion", "billing", 1),
            ("wait", "billing", 1),
        ]
        [ticket] = report.tickets
        assert (ticket.escalations, ticket.last_trigger, ticket.paged) == (2, "emotion", True)


def offers() -> list:
    return [
        created("T-4", when=at(0), department="billing"),
        offered_envelope("T-4", "O-1", "ana", at=at(10)),
        offer_ended_envelope("T-4", "O-1", "ana", "declined", at=at(20)),
        offered_envelope("T-4", "O-2", "ben", at=at(30)),
        offer_ended_envelope("T-4", "O-2", "ben", "expired", at=at(90)),
        offered_envelope("T-4", "O-3", "ana", at=at(100)),
        offer_ended_envelope("T-4", "O-3", "ana", "accepted", at=at(112)),
        offered_envelope("T-4", "O-4", "ben", at=at(200)),
        offer_ended_envelope("T-4", "O-4", "ben", "withdrawn", at=at(201)),
    ]


def test_offer_outcomes_acceptance_and_time_to_accept_per_agent_and_department():
    expected = None
    rng = random.Random(3)
    for _ in range(20):
        events = offers()
        rng.shuffle(events)
        report = offer_report([fold(*events, *events[:3])])
        lines = {
            s.agent_id: (s.offered, s.accepted, s.declined, s.expired, s.withdrawn)
            for s in report.by_agent
        }
        assert lines == {"ana": (2, 1, 1, 0, 0), "ben": (2, 0, 0, 1, 1)}
        ana = next(s for s in report.by_agent if s.agent_id == "ana")
        assert (ana.acceptance_rate, ana.median_seconds_to_accept) == (0.5, 12.0)
        [billing] = report.by_department
        assert (billing.offered, billing.acceptance_rate) == (4, round(1 / 3, 3))
        expected = expected or report
        assert report == expected


def test_the_dashboard_shows_sla_escalation_and_offer_tiles_and_tables():
    rows = [fold(*answered_in_time()), fold(*breached_and_warned()), fold(*escalations())]
    rows.append(fold(*offers()))
    kpis = RoutingKpis(
        sla=sla_report(rows), escalations=escalation_report(rows), offers=offer_report(rows)
    )
    html = render_dashboard(summarize(rows, generated_at=at(9999)), [], 5, kpis)
    assert 'id="sla-first_response">50.0 %' in html
    assert 'id="sla-at-risk">1<' in html
    assert 'id="escalations-total">2<' in html
    assert 'id="offer-acceptance">33.3 %' in html
    for table in ("sla-by-department", "sla-by-priority", "escalated-tickets", "offers-by-agent"):
        assert f'id="{table}"' in html


def test_the_agent_scorecard_carries_the_presence_reason():
    envelope = agent_updated(presence=Presence.away)
    event = envelope.payload().model_copy(update={"presence_reason": "missed offer"})
    [line] = agent_reports([AgentProfile.from_event(event, 1)], [])
    assert (line.presence, line.presence_reason) == ("away", "missed offer")
    html = render_dashboard(summarize([], generated_at=at(0)), [line])
    assert "(missed offer)" in html


def test_a_page_to_supervisors_is_not_a_customer_notification():
    sent = notified(when=at(30))
    page = sent.model_copy(
        update={"data": {**sent.data, "notification_id": "N-page", "template": "page.escalated"}}
    )
    row = fold(created(when=at(0)), page, page)
    assert (row.notifications, row.first_notified_at, row.pages) == (0, None, 1)
    row = fold(created(when=at(0)), notified(when=at(40)), page)
    assert (row.notifications, row.pages) == (1, 1)
