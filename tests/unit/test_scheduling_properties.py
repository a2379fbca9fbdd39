"""Properties of free_slots that must hold for any rules, hours, busy time and clock."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linktime.scheduling import Availability, BookingRules, Busy, free_slots, is_bookable
from linktime.scheduling.rules import END_OF_DAY

pytestmark = pytest.mark.same_on_every_database  # no database in these tests (CI runs them on SQLite only)

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC",
         "Australia/Lord_Howe", "America/Sao_Paulo"]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
EVENT = 1


@st.composite
def day_hours(draw):
    """0–3 sorted, non-overlapping intervals on a quarter-hour grid."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    intervals = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        start = time(a // 4, (a % 4) * 15)
        end = END_OF_DAY if b == 96 else time(b // 4, (b % 4) * 15)
        intervals.append((start, end))
    return tuple(intervals)


@st.composite
def scenarios(draw):
    zone = draw(st.sampled_from(ZONES))
    weekly = {day: draw(day_hours()) for day in range(7)}
    rules = BookingRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        increment=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        min_notice=timedelta(minutes=draw(st.integers(0, 3000))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 10, 15, 60]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 5, 30]))),
        max_per_day=draw(st.none() | st.integers(1, 4)),
        horizon=timedelta(days=draw(st.integers(1, 20))),
        seats=draw(st.integers(1, 3)),
    )
    # Any day of the year, so DST changes are among the cases.
    now = EPOCH + timedelta(minutes=draw(st.integers(0, 365 * 24 * 60)))
    window_start = now + timedelta(hours=draw(st.integers(-48, 72)))
    window_end = window_start + timedelta(hours=draw(st.integers(1, 24 * 10)))
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        start = now + timedelta(minutes=15 * draw(st.integers(-200, 1000)))
        length = timedelta(minutes=15 * draw(st.integers(1, 12)))
        busy.append(Busy(start, start + length, draw(st.sampled_from([None, EVENT, 2]))))
    return Availability(timezone=zone, weekly=weekly), rules, busy, now, window_start, window_end


def compute(scenario):
    availability, rules, busy, now, start, end = scenario
    return free_slots(availability, rules, busy, now=now, window_start=start, window_end=end,
                      event_type_id=EVENT)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_slot_overlaps_busy_time_plus_buffers(scenario):
    _, rules, busy, *_ = scenario
    for slot in compute(scenario):
        padded_start, padded_end = slot.start - rules.buffer_before, slot.end + rules.buffer_after
        for item in busy:
            if item.event_type_id == EVENT and item.start == slot.start:
                continue  # a seat taken in this very group slot
            assert not (item.start < padded_end and padded_start < item.end), (slot, item)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_every_slot_is_inside_working_hours(scenario):
    availability, _rules, *_ = scenario
    zone = ZoneInfo(availability.timezone)
    for slot in compute(scenario):
        local_start = slot.start.astimezone(zone)
        inside = False
        for day in (local_start.date() - timedelta(days=1), local_start.date()):
            for open_at, close_at in availability.hours_on(day):
                opens = datetime.combine(day, open_at, zone).astimezone(UTC)
                closes = (datetime.combine(day + timedelta(days=1), time(0), zone) if close_at == END_OF_DAY
                          else datetime.combine(day, close_at, zone)).astimezone(UTC)
                inside |= opens <= slot.start and slot.end <= closes
        assert inside, slot


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_slot_before_notice_or_past_the_window(scenario):
    _, rules, _, now, start, end = scenario
    slots = compute(scenario)
    for slot in slots:
        assert slot.start >= now + rules.min_notice
        assert slot.start < now + rules.horizon
        assert start <= slot.start < end
    assert [s.start for s in slots] == sorted({s.start for s in slots})


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_booking_every_offered_seat_never_oversells(scenario):
    """Book greedily until nothing is left: no start ever holds more than `seats` bookings."""
    availability, rules, busy, now, start, end = scenario
    busy = [b for b in busy if b.event_type_id != EVENT]  # start from no seats taken
    booked: Counter = Counter()
    for _ in range(200):
        slots = free_slots(availability, rules, busy, now=now, window_start=start, window_end=end,
                           event_type_id=EVENT)
        if not slots:
            break
        slot = slots[0]
        assert is_bookable(slot.start, availability, rules, busy, now=now, event_type_id=EVENT) == slot
        busy.append(Busy(slot.start, slot.end, EVENT))
        booked[slot.start] += 1
    assert all(count <= rules.seats for count in booked.values())


def test_subtract_leaves_exactly_the_time_outside_every_hole():
    """Against counting minutes one by one, over many random cases (overlapping, touching, nested)."""
    import random

    from linktime.scheduling import subtract

    rng = random.Random(7)
    base = datetime(2026, 11, 24, tzinfo=UTC)
    at = lambda minute: base + timedelta(minutes=minute)
    for _ in range(2000):
        spans = [(a := rng.randint(0, 60), a + rng.randint(1, 20)) for _ in range(rng.randint(0, 6))]
        holes = [(a := rng.randint(0, 60), a + rng.randint(1, 20)) for _ in range(rng.randint(0, 6))]
        expected = {m for a, b in spans for m in range(a, b) if not any(x <= m < y for x, y in holes)}
        result = subtract([(at(a), at(b)) for a, b in spans], [(at(a), at(b)) for a, b in holes])
        assert all(start < end for start, end in result) and result == sorted(result)
        assert {
            m
            for start, end in result
            for m in range((start - base) // timedelta(minutes=1), (end - base) // timedelta(minutes=1))
        } == expected
