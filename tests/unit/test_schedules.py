"""A shared schedule offers exactly what its week, its public holidays and its own days say, the
host's own days winning over holidays: checked against an oracle over any hours, days and zones."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linktime.models.schedules import Schedule, public_holidays
from linktime.scheduling import BookingRules, free_slots
from linktime.scheduling.rules import END_OF_DAY, hours_to_json
from tests.unit.test_scheduling_properties import ZONES, day_hours

pytestmark = pytest.mark.same_on_every_database  # no database here

COUNTRIES = ["US", "DE", "JP", "GB", "FR", "BR", "IN", ""]
RULES = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=15), min_notice=timedelta(0),
                     buffer_before=timedelta(0), buffer_after=timedelta(0), max_per_day=None,
                     horizon=timedelta(days=60), seats=1)


@st.composite
def schedules(draw):
    zone = draw(st.sampled_from(ZONES))
    country = draw(st.sampled_from(COUNTRIES))
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 364)))
    weekly = {day: draw(day_hours()) for day in range(7)}
    overrides = {}
    for _ in range(draw(st.integers(0, 6))):
        first = now.date() + timedelta(days=draw(st.integers(0, 20)))
        for offset in range(draw(st.integers(1, 4))):  # a range of days, the same hours on each
            overrides[first + timedelta(days=offset)] = draw(day_hours())
    schedule = Schedule(name="Work", weekly_hours={str(k): hours_to_json(v) for k, v in weekly.items() if v},
                        date_overrides={d.isoformat(): hours_to_json(h) for d, h in overrides.items()},
                        holiday_country=country)
    return schedule, zone, weekly, overrides, country, now


def hours_of(day: date, weekly, overrides, country) -> tuple:
    """The oracle: the host's own day first, then a public holiday (off), then the week."""
    if day in overrides:
        return overrides[day]
    if country and day in public_holidays(country, day.year, day.year):
        return ()
    return weekly[day.weekday()]


@settings(max_examples=200, deadline=None)
@given(schedules())
def test_every_offered_time_is_in_the_hours_the_oracle_gives_its_day(case):
    schedule, zone, weekly, overrides, country, now = case
    tz = ZoneInfo(zone)
    slots = free_slots(schedule.availability_in(zone), RULES, [], now=now, window_start=now,
                       window_end=now + timedelta(days=21))
    offered_days = set()
    for slot in slots:
        local = slot.start.astimezone(tz)
        inside = False
        for day in (local.date() - timedelta(days=1), local.date()):
            for open_at, close_at in hours_of(day, weekly, overrides, country):
                opens = datetime.combine(day, open_at, tz).astimezone(UTC)
                closes = (datetime.combine(day + timedelta(days=1), time(0), tz) if close_at == END_OF_DAY
                          else datetime.combine(day, close_at, tz)).astimezone(UTC)
                inside |= opens <= slot.start and slot.end <= closes
        assert inside, (slot, local)
        offered_days.add(local.date())
    # Completeness where it is plain: a whole day open from 09:00 to 17:00 the oracle's way is offered.
    for offset in range(1, 20):
        day = now.date() + timedelta(days=offset)
        if ((time(9), time(17)),) == hours_of(day, weekly, overrides, country):
            assert day in offered_days, day


def test_a_holiday_is_off_unless_the_host_works_on_it():
    christmas = date(2026, 12, 25)
    schedule = Schedule(name="Work", weekly_hours={str(d): [["09:00", "17:00"]] for d in range(7)},
                        date_overrides={}, holiday_country="DE")
    assert schedule.availability_in("Europe/Berlin").hours_on(christmas) == ()
    assert schedule.availability_in("Europe/Berlin").hours_on(christmas + timedelta(days=2)) != ()
    schedule.date_overrides = {christmas.isoformat(): [["10:00", "12:00"]]}
    assert schedule.availability_in("Europe/Berlin").hours_on(christmas) == ((time(10), time(12)),)
    assert schedule.holidays_between(date(2026, 12, 1), date(2026, 12, 31))[christmas] == "Christmas Day"
