"""The text format hosts type their working hours and date overrides in."""
from datetime import date, time

import pytest

from linktime.scheduling.rules import (
    END_OF_DAY,
    HoursError,
    format_hours,
    format_overrides,
    hours_from_json,
    hours_to_json,
    parse_hours,
    parse_overrides,
)

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)


def test_several_intervals_a_day_in_any_order_and_spacing():
    assert parse_hours("13:00-17:00, 9-12") == ((time(9), time(12)), (time(13), time(17)))
    assert parse_hours(" 09:30 – 10:45 ") == ((time(9, 30), time(10, 45)),)
    assert parse_hours("") == () and parse_hours("off") == ()
    assert parse_hours("20:00-24:00") == ((time(20), END_OF_DAY),)


@pytest.mark.parametrize("text,message", [
    ("9am to 5pm", "should look like"),
    ("17:00-09:00", "ends before it starts"),
    ("09:00-12:00, 11:00-13:00", "overlap"),
    ("25:00-26:00", "not a time"),
    ("09:61-10:00", "not a time"),
])
def test_bad_hours_say_what_is_wrong(text, message):
    with pytest.raises(HoursError, match=message):
        parse_hours(text)


def test_overrides_round_trip_through_text_and_json():
    text = "2026-12-24 off\n2026-12-31: 09:00-12:00\n\n"
    overrides = parse_overrides(text)
    assert overrides == {date(2026, 12, 24): (), date(2026, 12, 31): ((time(9), time(12)),)}
    assert parse_overrides(format_overrides(overrides)) == overrides
    hours = parse_hours("09:00-12:00, 20:00-24:00")
    assert hours_from_json(hours_to_json(hours)) == hours
    assert format_hours(hours) == "09:00-12:00, 20:00-24:00"


@pytest.mark.parametrize("text,message", [
    ("24/12/2026 off", "line 1: start with a date"),
    ("2026-02-30 off", "not a date"),
    ("2026-12-24 off\n2026-12-24 09:00-10:00", "listed twice"),
    ("2026-12-24 nine to five", "line 1: “nine to five”"),
])
def test_bad_overrides_name_the_line(text, message):
    with pytest.raises(HoursError, match=message):
        parse_overrides(text)
