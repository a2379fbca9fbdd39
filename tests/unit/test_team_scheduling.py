"""Team times against a brute-force oracle: round-robin offers a time when at least one member
is free, collective when every member is, across time zones and DST changes; and round-robin's
choice of member."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linktime.scheduling import Availability, BookingRules, Busy, free_slots
from linktime.scheduling.rules import END_OF_DAY
from linktime.scheduling.teams import Candidate, anyone_free, everyone_free, fairness_order
from tests.unit.test_scheduling_properties import ZONES, day_hours

pytestmark = pytest.mark.same_on_every_database  # no database in these tests

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
GRID = timedelta(minutes=5)


@st.composite
def members(draw, now):
    zone = draw(st.sampled_from(ZONES))
    weekly = {day: draw(day_hours()) for day in range(7)}
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        start = now + timedelta(minutes=15 * draw(st.integers(-50, 400)))
        busy.append(Busy(start, start + timedelta(minutes=15 * draw(st.integers(1, 8))),
                         buffer_before=timedelta(minutes=draw(st.sampled_from([0, 15]))),
                         buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10])))))
    return Availability(timezone=zone, weekly=weekly), busy


@st.composite
def teams(draw):
    # Any day of the year, so DST changes (each zone's own) are among the cases.
    now = EPOCH + timedelta(minutes=15 * draw(st.integers(0, 365 * 96)))
    rules = BookingRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        increment=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        min_notice=timedelta(minutes=draw(st.sampled_from([0, 60, 600]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 5]))),
        max_per_day=None, horizon=timedelta(days=draw(st.integers(1, 5))), seats=1,
    )
    people = draw(st.lists(members(now), min_size=1, max_size=4))
    window_start = now + timedelta(hours=draw(st.integers(-12, 48)))
    window_end = window_start + timedelta(hours=draw(st.integers(1, 72)))
    return now, rules, people, window_start, window_end


def _wall(day, clock, zone):
    if clock == END_OF_DAY:  # the end of the day is the next day's midnight
        day, clock = day + timedelta(days=1), time(0)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def oracle_free(moment, availability, busy, rules, now, window_start, window_end) -> bool:
    """Whether a member can take ``moment``, worked out from the definitions, one instant at a time."""
    if not (max(window_start, now + rules.min_notice) <= moment < min(window_end, now + rules.horizon)):
        return False
    zone = ZoneInfo(availability.timezone)
    end = moment + rules.duration
    local = moment.astimezone(zone).date()
    in_hours = False
    for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
        for open_at, close_at in availability.hours_on(day):
            opens, closes = _wall(day, open_at, zone), _wall(day, close_at, zone)
            if opens <= moment and end <= closes and (moment - opens) % rules.increment == timedelta(0):
                in_hours = True
    if not in_hours:
        return False
    for item in busy:
        if item.start < end + rules.buffer_after and moment - rules.buffer_before < item.end:
            return False
        if item.start - item.buffer_before < end and moment < item.end + item.buffer_after:
            return False
    return True


@settings(max_examples=150, deadline=None)
@given(teams())
def test_round_robin_and_collective_times_match_the_oracle(team):
    now, rules, people, window_start, window_end = team
    per_member = [free_slots(availability, rules, busy, now=now, window_start=window_start, window_end=window_end)
                  for availability, busy in people]
    grid_start = window_start - timedelta(minutes=window_start.minute % 5, seconds=window_start.second)
    moments = [grid_start + GRID * i for i in range(int((window_end - grid_start) / GRID) + 1)]
    free = [{m for m in moments if oracle_free(m, availability, busy, rules, now, window_start, window_end)}
            for availability, busy in people]
    anyone = [slot.start for slot in anyone_free(per_member)]
    everyone = [slot.start for slot in everyone_free(per_member)]
    assert anyone == sorted(set.union(*free))
    assert everyone == sorted(set.intersection(*free))
    for slot in anyone_free(per_member):  # how many members could take it
        assert slot.seats_left == sum(slot.start in member for member in free)


def test_no_members_offer_nothing():
    assert anyone_free([]) == [] and everyone_free([]) == []


def test_fairness_fewest_bookings_for_weight_then_priority_then_longest_ago():
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    order = fairness_order([
        Candidate(1, bookings=2), Candidate(2, bookings=1), Candidate(3, bookings=2, weight=200),
    ])
    assert [c.user_id for c in order] == [2, 3, 1]  # 3 has 2 bookings for twice the weight: 1 per 100
    order = fairness_order([Candidate(1, bookings=1, priority=0), Candidate(2, bookings=1, priority=1)])
    assert order[0].user_id == 2
    order = fairness_order([Candidate(1, bookings=1, last_booked=late), Candidate(2, bookings=1, last_booked=early),
                            Candidate(3, bookings=1)])
    assert [c.user_id for c in order] == [3, 2, 1]  # never booked, then booked longest ago
