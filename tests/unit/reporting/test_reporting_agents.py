from reporting_builders import T0, agent_updated, assigned, at, created, resolved

from reporting.domain.agents import AgentProfile, agent_reports, newest_profile
from reporting.domain.tickets import TicketRow, apply_change, ticket_change
from ticketflow_shared.events import AgentUpdatedV1, Envelope, Presence


def profile(envelope: Envelope) -> AgentProfile:
    payload = envelope.payload()
    assert isinstance(payload, AgentUpdatedV1)
    return AgentProfile.from_event(payload)


def row(*events: Envelope) -> TicketRow:
    state = None
    for envelope in events:
        state = apply_change(state, ticket_change(envelope.id, envelope.time, envelope.payload()))
    return TicketRow.model_validate(state)


def test_the_latest_profile_wins_whatever_the_arrival_order():
    older = profile(agent_updated(when=T0, presence=Presence.available))
    newer = profile(agent_updated(when=at(10), presence=Presence.away))
    assert newest_profile(newest_profile(None, older), newer) is newer
    assert newest_profile(newest_profile(None, newer), older) is newer


def test_an_equally_new_profile_keeps_the_one_already_stored():
    kept = profile(agent_updated(when=T0))
    assert newest_profile(kept, profile(agent_updated(when=T0))) is kept


def test_agent_report_joins_profiles_with_ticket_workload():
    profiles = [
        profile(agent_updated("A-1", when=T0, capacity=4, active_tickets=1)),
        profile(agent_updated("A-3", when=T0, name="Cy", department="support")),
    ]
    tickets = [
        row(created("T-1", when=T0), assigned("T-1", when=at(5), agent_id="A-1")),
        row(
            created("T-2", when=T0),
            assigned("T-2", when=at(5), agent_id="A-1"),
            resolved("T-2", when=at(50), agent_id="A-1"),
        ),
        row(assigned("T-3", when=at(5), agent_id="A-2", agent_name="Bo", department="tech")),
    ]
    reports = {report.agent_id: report for report in agent_reports(profiles, tickets)}

    ada = reports["A-1"]
    assert (ada.name, ada.department, ada.presence, ada.capacity) == (
        "Ada",
        "finance",
        "available",
        4,
    )
    assert (ada.active_tickets, ada.open_tickets) == (1, 1)
    assert (ada.assigned_count, ada.resolved_count) == (2, 1)
    # Bo is known only from an assignment: no presence or capacity yet.
    bo = reports["A-2"]
    assert (bo.name, bo.department, bo.presence, bo.capacity) == ("Bo", "tech", None, None)
    assert bo.assigned_count == 1
    assert (reports["A-3"].assigned_count, reports["A-3"].resolved_count) == (0, 0)


def test_agent_report_is_ordered_by_department_then_name():
    profiles = [
        profile(agent_updated("A-1", name="Zed", department="b")),
        profile(agent_updated("A-2", name="Amy", department="b")),
        profile(agent_updated("A-3", name="Max", department="a")),
    ]
    assert [r.name for r in agent_reports(profiles, [])] == ["Max", "Amy", "Zed"]
