"""The scheduling core: working hours → slots, across DST changes, with busy time and limits."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from linktime.formatting import format_time
from linktime.scheduling import Availability, BookingRules, Busy, free_slots, is_bookable, parse_hours

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

EVERY_DAY_9_TO_5 = {day: parse_hours("09:00-17:00") for day in range(7)}
HALF_HOUR = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30))
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_day_window(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def slots_on(zone: str, day: date, availability: Availability, rules=HALF_HOUR, busy=(), now=LONG_AGO, **kw):
    start, end = local_day_window(zone, day)
    rules = BookingRules(**{**rules.__dict__, "horizon": timedelta(days=10000)})
    return free_slots(availability, rules, list(busy), now=now, window_start=start, window_end=end, **kw)


# (zone, spring-forward date, fall-back date) in 2026
DST_CHANGES = [
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)),
    ("Australia/Sydney", date(2026, 10, 4), date(2026, 4, 5)),
]


@pytest.mark.parametrize("zone,spring,fall", DST_CHANGES)
@pytest.mark.parametrize("which", ["spring", "fall"])
def test_a_dst_week_keeps_working_hours_on_the_wall_clock(zone, spring, fall, which):
    """Every day of the week around the change offers 09:00–16:30 local, whatever the UTC offset."""
    change = spring if which == "spring" else fall
    availability = Availability(timezone=zone, weekly=EVERY_DAY_9_TO_5)
    tz = ZoneInfo(zone)
    offsets = set()
    for shift in range(-3, 4):
        day = change + timedelta(days=shift)
        slots = slots_on(zone, day, availability)
        local_starts = [slot.start.astimezone(tz) for slot in slots]
        assert [f"{s:%H:%M}" for s in local_starts] == [
            f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)
        ], day
        assert all(s.date() == day for s in local_starts)
        offsets.add(local_starts[0].utcoffset())
    assert len(offsets) == 2, "the week should straddle the change of offset"


@pytest.mark.parametrize("zone,spring,fall", DST_CHANGES)
def test_hours_spanning_the_change_are_as_long_as_the_clock_says(zone, spring, fall):
    """00:00–04:00 lasts 3 real hours the night clocks spring forward, 5 when they fall back."""
    night = {day: parse_hours("00:00-04:00") for day in range(7)}
    availability = Availability(timezone=zone, weekly=night)
    assert len(slots_on(zone, spring, availability)) == 6
    assert len(slots_on(zone, fall, availability)) == 10
    assert len(slots_on(zone, spring + timedelta(days=1), availability)) == 8
    # No slot is ever reported twice, even where the clock repeats an hour.
    starts = [slot.start for slot in slots_on(zone, fall, availability)]
    assert len(set(starts)) == len(starts) and starts == sorted(starts)


def test_invitee_sees_host_hours_converted_across_mismatched_dst():
    """New York switches to summer time three weeks before Berlin: the gap is 5 h, not 6."""
    availability = Availability(timezone="America/New_York", weekly=EVERY_DAY_9_TO_5)
    in_mismatch = slots_on("America/New_York", date(2026, 3, 10), availability)
    after = slots_on("America/New_York", date(2026, 3, 31), availability)
    assert format_time(in_mismatch[0].start, "Europe/Berlin") == "14:00"
    assert format_time(after[0].start, "Europe/Berlin") == "15:00"
    assert format_time(after[0].start, "Asia/Tokyo") == "22:00"


def test_busy_time_and_buffers_remove_overlapping_slots():
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30),
                         buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=30))
    busy = [Busy(utc(2026, 6, 1, 12), utc(2026, 6, 1, 13))]
    slots = slots_on("UTC", date(2026, 6, 1), availability, rules, busy)
    starts = {f"{s.start:%H:%M}" for s in slots}
    # 11:00 ends 11:30, +30 buffer = 12:00: fine. 11:30 would need until 12:30: blocked.
    assert "11:00" in starts and "11:30" not in starts
    # 13:00 needs 12:45 free before it: blocked; 13:30 needs 13:15: fine.
    assert "13:00" not in starts and "13:30" in starts


def test_notice_and_horizon_bound_the_offer():
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30),
                         min_notice=timedelta(hours=2), horizon=timedelta(days=2))
    now = utc(2026, 6, 1, 10, 10)
    slots = free_slots(availability, rules, [], now=now, window_start=utc(2026, 6, 1),
                       window_end=utc(2026, 6, 10))
    assert slots[0].start == utc(2026, 6, 1, 12, 30)
    assert slots[-1].start < now + timedelta(days=2)
    assert slots[-1].start == utc(2026, 6, 3, 10, 0)


def test_date_overrides_replace_the_weekday_hours():
    day_off, short_day = date(2026, 6, 1), date(2026, 6, 2)
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5,
                                overrides={day_off: (), short_day: parse_hours("10:00-11:00")})
    assert slots_on("UTC", day_off, availability) == []
    assert [f"{s.start:%H:%M}" for s in slots_on("UTC", short_day, availability)] == ["10:00", "10:30"]


def test_max_per_day_closes_the_day_but_not_seats_of_booked_group_slots():
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30),
                         max_per_day=1, seats=3)
    busy = [Busy(utc(2026, 6, 1, 9), utc(2026, 6, 1, 9, 30), event_type_id=7)]
    slots = slots_on("UTC", date(2026, 6, 1), availability, rules, busy, event_type_id=7)
    assert [(f"{s.start:%H:%M}", s.seats_left) for s in slots] == [("09:00", 2)]


def test_group_slot_fills_up_then_disappears():
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    rules = BookingRules(duration=timedelta(hours=1), increment=timedelta(minutes=30), seats=2,
                         horizon=timedelta(days=10000))
    nine = utc(2026, 6, 1, 9)
    one = [Busy(nine, nine + timedelta(hours=1), event_type_id=1)]
    slot = is_bookable(nine, availability, rules, one, now=LONG_AGO, event_type_id=1)
    assert slot is not None and slot.seats_left == 1
    # The group slot blocks the overlapping 09:30 start, for this and other event types.
    assert is_bookable(nine + timedelta(minutes=30), availability, rules, one, now=LONG_AGO, event_type_id=1) is None
    assert is_bookable(nine, availability, rules, one, now=LONG_AGO, event_type_id=2) is None
    assert is_bookable(nine, availability, rules, one * 2, now=LONG_AGO, event_type_id=1) is None


def test_end_of_day_24_00_offers_the_last_slot_before_midnight():
    availability = Availability(timezone="Europe/Berlin", weekly={0: parse_hours("22:00-24:00")})
    slots = slots_on("Europe/Berlin", date(2026, 6, 1), availability)
    assert [format_time(s.start, "Europe/Berlin") for s in slots] == ["22:00", "22:30", "23:00", "23:30"]


def test_an_existing_bookings_buffer_protects_it_from_a_slot_without_buffers():
    """The booking at 10:00 has 30 min after it; a new buffer-less slot may not start at 10:30."""
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    booked = Busy(start=utc(2026, 12, 7, 10), end=utc(2026, 12, 7, 10, 30), event_type_id=1,
                  buffer_before=timedelta(minutes=60), buffer_after=timedelta(minutes=30))
    starts = {s.start for s in slots_on("UTC", date(2026, 12, 7), availability, busy=[booked], event_type_id=2)}
    assert utc(2026, 12, 7, 11) in starts and utc(2026, 12, 7, 10, 30) not in starts
    assert utc(2026, 12, 7, 9) not in starts and utc(2026, 12, 7, 8, 30) not in starts  # 60 min before it
    assert utc(2026, 12, 7, 9, 30) not in starts


def test_buffers_may_overlap_each_other_but_keep_the_larger_gap():
    availability = Availability(timezone="UTC", weekly=EVERY_DAY_9_TO_5)
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=15),
                         buffer_before=timedelta(minutes=15))
    booked = Busy(start=utc(2026, 12, 7, 10), end=utc(2026, 12, 7, 10, 30), event_type_id=1,
                  buffer_after=timedelta(minutes=45))
    starts = {s.start for s in slots_on("UTC", date(2026, 12, 7), availability, rules, busy=[booked], event_type_id=2)}
    # max(15 min before the new slot, 45 min after the booking) = 45 min gap.
    assert utc(2026, 12, 7, 11) not in starts and utc(2026, 12, 7, 11, 15) in starts


@pytest.mark.parametrize("zone,spring,fall", DST_CHANGES)
@pytest.mark.parametrize("which", ["spring", "fall"])
def test_the_daily_limit_holds_on_23_and_25_hour_days(zone, spring, fall, which):
    day = spring if which == "spring" else fall
    availability = Availability(timezone=zone, weekly={d: parse_hours("00:00-24:00") for d in range(7)})
    rules = BookingRules(duration=timedelta(minutes=30), increment=timedelta(minutes=30), max_per_day=1)
    first = datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)
    booked = Busy(start=first, end=first + timedelta(minutes=30), event_type_id=1)
    assert slots_on(zone, day, availability, rules, busy=[booked], event_type_id=1) == []
