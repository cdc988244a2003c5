from reporting_builders import T0, agent_updated, assigned, at, created, resolved
from reporting_builders import fold as row

from reporting.domain.agents import AgentProfile, agent_reports, newest_profile
from ticketflow_shared.events import AgentUpdatedV1, Envelope, Presence


def profile(envelope: Envelope) -> AgentProfile:
    payload = envelope.payload()
    assert isinstance(payload, AgentUpdatedV1)
    return AgentProfile.from_event(payload, envelope.sequence)


def test_the_latest_profile_wins_whatever_the_arrival_order():
    older = profile(agent_updated(when=T0, presence=Presence.available))
    newer = profile(agent_updated(when=at(10), presence=Presence.away))
    assert newest_profile(newest_profile(None, older), newer) is newer
    assert newest_profile(newest_profile(None, newer), older) is newer


def test_an_equally_new_profile_keeps_the_one_already_stored():
    kept = profile(agent_updated(when=T0))
    assert newest_profile(kept, profile(agent_updated(when=T0))) is kept


def test_a_higher_profile_version_wins_over_a_later_time():
    # A load update written from the profile as it was before a revision, stamped later.
    revised = profile(agent_updated(when=at(10), capacity=5, version=3))
    stale_load = profile(agent_updated(when=at(11), capacity=3, active_tickets=1, version=2))
    assert newest_profile(revised, stale_load) is revised
    assert newest_profile(stale_load, revised) is revised


def test_within_one_version_the_later_load_update_wins():
    taken = profile(agent_updated(when=at(10), active_tickets=1, version=2))
    freed = profile(agent_updated(when=at(20), active_tickets=0, version=2))
    assert newest_profile(freed, taken) is freed
    assert newest_profile(taken, freed) is freed


def test_a_profile_from_before_versions_never_replaces_a_versioned_one():
    versioned = profile(agent_updated(when=T0, version=0))
    unversioned = profile(agent_updated(when=at(60)))
    assert newest_profile(versioned, unversioned) is versioned


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
