"""Working-time arithmetic across nights, weekends, holidays and clock changes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.domain.calendars import Calendar, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def office(**kwargs) -> Calendar:
    return Calendar.weekly("Europe/Berlin", OFFICE, **kwargs)


def test_open_during_hours_closed_at_night_and_weekends() -> None:
    calendar = office()
    assert calendar.is_open(berlin(2026, 12, 2, 10))  # a Wednesday
    assert not calendar.is_open(berlin(2026, 12, 2, 17))  # the end is exclusive
    assert not calendar.is_open(berlin(2026, 12, 2, 8, 59))
    assert not calendar.is_open(berlin(2026, 12, 5, 12))  # Saturday


def test_adding_working_time_skips_the_night() -> None:
    due = office().add(berlin(2026, 12, 2, 16), 2 * 3600)
    assert due == berlin(2026, 12, 3, 10)


def test_adding_working_time_skips_the_weekend() -> None:
    due = office().add(berlin(2026, 12, 4, 16, 30), 3600)  # Friday afternoon
    assert due == berlin(2026, 12, 7, 9, 30)  # Monday


def test_public_holidays_are_closed() -> None:
    calendar = office(country="DE")
    christmas_eve = berlin(2026, 12, 24, 16)  # a Thursday; 25th and 26th are holidays
    assert not calendar.is_open(berlin(2026, 12, 25, 10))
    assert calendar.add(christmas_eve, 2 * 3600) == berlin(2026, 12, 28, 10)


def test_closed_dates_are_closed() -> None:
    calendar = office(closed_dates=[date(2026, 12, 3)])
    assert calendar.add(berlin(2026, 12, 2, 16), 2 * 3600) == berlin(2026, 12, 4, 10)


def test_a_working_day_is_eight_hours_on_the_day_clocks_change() -> None:
    calendar = Calendar.weekly("Europe/Berlin", {"sun": ["09:00-17:00"], "mon": ["09:00-17:00"]})
    spring = berlin(2026, 3, 29, 9)  # clocks go forward that night
    assert calendar.between(spring, berlin(2026, 3, 29, 17)) == 8 * 3600
    assert calendar.add(spring, 9 * 3600) == berlin(2026, 3, 30, 10)


def test_a_whole_day_lasts_what_the_clock_change_leaves() -> None:
    calendar = Calendar.weekly("Europe/Berlin", {"sun": ["00:00-24:00"]})
    spring, autumn = berlin(2026, 3, 29), berlin(2026, 10, 25)
    assert calendar.between(spring, spring + timedelta(days=1)) == 23 * 3600
    assert calendar.between(autumn, autumn + timedelta(days=2)) == 25 * 3600


def test_overnight_shift_runs_into_the_next_day() -> None:
    calendar = Calendar.weekly("UTC", {"mon": ["22:00-06:00"]})
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert calendar.is_open(monday + timedelta(hours=23))
    assert calendar.is_open(monday + timedelta(hours=29))  # Tuesday 05:00
    assert not calendar.is_open(monday + timedelta(hours=31))
    assert calendar.between(monday, monday + timedelta(days=2)) == 8 * 3600


def test_window_says_until_when_the_state_holds() -> None:
    calendar = office()
    assert calendar.window(berlin(2026, 12, 2, 10)) == (True, berlin(2026, 12, 2, 17))
    assert calendar.window(berlin(2026, 12, 4, 18)) == (False, berlin(2026, 12, 7, 9))


def test_between_counts_only_working_time() -> None:
    start, end = berlin(2026, 12, 4, 16), berlin(2026, 12, 7, 10)
    assert office().between(start, end) == 2 * 3600
    assert office().between(end, start) == 0


def test_always_open_is_plain_time() -> None:
    calendar = Calendar.always_open()
    start = datetime(2026, 12, 5, 3, tzinfo=UTC)
    assert calendar.is_open(start)
    assert calendar.add(start, 90) == start + timedelta(seconds=90)
    assert calendar.between(start, start + timedelta(hours=5)) == 5 * 3600


@pytest.mark.parametrize(
    ("zone", "hours", "country", "message"),
    [
        ("Mars/Olympus", OFFICE, None, "time zone"),
        ("UTC", {"funday": ["09:00-10:00"]}, None, "unknown days"),
        ("UTC", {"mon": ["9-5"]}, None, "HH:MM-HH:MM"),
        ("UTC", {"mon": ["25:00-26:00"]}, None, "HH:MM-HH:MM"),
        ("UTC", {"mon": ["10:00-10:00"]}, None, "empty"),
        ("UTC", {}, None, "at least one day"),
        ("UTC", OFFICE, "XX", "holidays"),
    ],
)
def test_unusable_calendars_are_refused(zone, hours, country, message) -> None:
    with pytest.raises(CalendarError, match=message):
        Calendar.weekly(zone, hours, country=country)


def test_hours_round_trip() -> None:
    calendar = Calendar.weekly("UTC", {"mon": ["13:00-17:00", "08:00-12:00"]})
    assert calendar.hours() == {"mon": ["08:00-12:00", "13:00-17:00"]}
    assert Calendar.weekly("UTC", calendar.hours()) == calendar


def test_the_next_opening_skips_the_rest_of_an_open_day_the_weekend_and_holidays() -> None:
    calendar = office(country="DE")
    assert calendar.next_opening(berlin(2026, 12, 2, 10)) == berlin(2026, 12, 3, 9)  # open now
    assert calendar.next_opening(berlin(2026, 12, 2, 7)) == berlin(2026, 12, 2, 9)
    assert calendar.next_opening(berlin(2026, 12, 4, 18)) == berlin(2026, 12, 7, 9)  # Friday
    assert calendar.next_opening(berlin(2026, 12, 24, 18)) == berlin(2026, 12, 28, 9)
    assert calendar.next_opening(berlin(2026, 12, 2, 9)) == berlin(2026, 12, 3, 9)  # at opening


def test_the_next_opening_follows_the_clock_change() -> None:
    calendar = Calendar.weekly("Europe/Berlin", {"sun": ["09:00-17:00"], "mon": ["09:00-17:00"]})
    # Clocks go forward on 29 March 2026: 09:00 that Monday is 07:00 UTC, not 08:00.
    opening = calendar.next_opening(datetime(2026, 3, 29, 16, 30, tzinfo=UTC))
    assert opening == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_an_always_open_calendar_never_opens_again() -> None:
    assert Calendar.always_open().next_opening(berlin(2026, 12, 2, 10)) is None
