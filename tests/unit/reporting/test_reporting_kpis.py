from datetime import timedelta

import pytest
from reporting_builders import T0

from reporting.domain.kpis import count_by, duration_stats, percentile, seconds_between
from ticketflow_shared.events import TicketStatus


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([5.0], 0.9, 5.0),
        ([1.0, 2.0, 3.0], 0.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5),
        ([float(v) for v in range(1, 11)], 0.9, 9.1),
        ([float(v) for v in range(1, 11)], 0.0, 1.0),
        ([float(v) for v in range(1, 11)], 1.0, 10.0),
        ([10.0, 20.0], 0.9, 19.0),
    ],
)
def test_percentile_interpolates_linearly_between_closest_ranks(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_percentile_rejects_a_quantile_outside_zero_to_one(q):
    with pytest.raises(ValueError, match="quantile"):
        percentile([1.0], q)


def test_duration_stats_gives_count_median_and_p90():
    stats = duration_stats([30.0, 10.0, 20.0, 40.0])
    assert (stats.count, stats.median, stats.p90) == (4, 25.0, 37.0)


def test_duration_stats_without_data_has_null_figures():
    stats = duration_stats([])
    assert (stats.count, stats.median, stats.p90) == (0, None, None)


def test_seconds_between_known_times():
    assert seconds_between(T0, T0 + timedelta(minutes=2, milliseconds=500)) == 120.5


def test_seconds_between_is_unknown_when_either_end_is_missing():
    assert seconds_between(None, T0) is None
    assert seconds_between(T0, None) is None


def test_clock_skew_between_services_counts_as_zero_not_negative():
    assert seconds_between(T0, T0 - timedelta(milliseconds=40)) == 0.0


def test_count_by_groups_missing_keys_under_the_given_label():
    counts = count_by(["b", None, "a", "b"], lambda item: item, "none")
    assert counts == {"a": 1, "b": 2, "none": 1}


def test_only_solved_and_closed_tickets_are_done():
    assert [status for status in TicketStatus if not status.is_open] == [
        TicketStatus.solved,
        TicketStatus.closed,
    ]
    assert TicketStatus.open.is_open
