"""Free slots from availability, booking rules and busy time.

Candidates are laid out in the host's wall-clock hours of each local date, converted to UTC with
zoneinfo (so a working day is shorter or longer across a DST change, never shifted), and then
stepped in real time. A candidate is free when its interval, widened by the event type's buffers,
overlaps no busy interval — except the bookings of this same event type that start at exactly the
same instant, which are seats taken in a group slot.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from linktime.scheduling.rules import END_OF_DAY, Availability, BookingRules, Busy, Slot


def _local_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    if clock == END_OF_DAY:
        day, clock = day + timedelta(days=1), time(0)
    # fold=0: a wall time skipped by spring-forward maps to the same clock reading after the jump
    # (02:30 → 03:30); an ambiguous fall-back time maps to its first occurrence.
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _candidates(
    availability: Availability, rules: BookingRules, start: datetime, end: datetime
) -> Iterator[datetime]:
    zone = ZoneInfo(availability.timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for open_at, close_at in availability.hours_on(day):
            slot_start = _local_to_utc(day, open_at, zone)
            closes = _local_to_utc(day, close_at, zone)
            while slot_start + rules.duration <= closes:
                yield slot_start
                slot_start += rules.increment
        day += timedelta(days=1)


def first_start_after(availability: Availability, rules: BookingRules, moment: datetime,
                      end: datetime) -> datetime | None:
    """The first candidate start later than ``moment`` and before ``end`` (busy time aside), or None."""
    return next((start for start in _candidates(availability, rules, moment, end) if moment < start < end), None)


class _Blockers:
    """Answers "does anything but this group slot overlap [a, b)?" in O(log n)."""

    def __init__(self, intervals: list[tuple[datetime, datetime, object]]):
        intervals.sort(key=lambda item: item[0])
        self.starts = [item[0] for item in intervals]
        # For each prefix, the two latest ends with their keys: enough to skip one excluded key.
        self.top: list[tuple[tuple[datetime, object], tuple[datetime, object] | None]] = []
        best: tuple[datetime, object] | None = None
        second: tuple[datetime, object] | None = None
        for _start, end, key in intervals:
            if best is None or end > best[0]:
                if best is not None and best[1] != key:
                    second = best
                best = (end, key)
            elif key != best[1] and (second is None or end > second[0]):
                second = (end, key)
            self.top.append((best, second))

    def overlaps(self, a: datetime, b: datetime, exclude: object) -> bool:
        count = bisect_left(self.starts, b)  # intervals starting before b
        if count == 0:
            return False
        best, second = self.top[count - 1]
        latest = best if best[1] != exclude else second
        return latest is not None and latest[0] > a


def free_slots(
    availability: Availability,
    rules: BookingRules,
    busy: Iterable[Busy],
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    event_type_id: int | None = None,
) -> list[Slot]:
    """Bookable slots starting in [window_start, window_end), sorted, in UTC.

    ``busy`` is every confirmed booking of the host near the window (any event type);
    ``event_type_id`` identifies the event type being booked, whose bookings at the very same
    start are seats taken rather than conflicts.
    """
    zone = ZoneInfo(availability.timezone)
    earliest = max(window_start, now + rules.min_notice)
    latest = min(window_end, now + rules.horizon)
    if earliest >= latest:
        return []

    seats_taken, blockers, guards = _index_busy(busy, event_type_id)

    slots_per_day: Counter[date] = Counter(start.astimezone(zone).date() for start in seats_taken)

    result: list[Slot] = []
    seen: set[datetime] = set()
    for start in _candidates(availability, rules, earliest, latest):
        if not (earliest <= start < latest) or start in seen:
            continue
        seen.add(start)
        seats_left = rules.seats - seats_taken[start]
        if seats_left <= 0:
            continue
        end = start + rules.duration
        if blockers.overlaps(start - rules.buffer_before, end + rules.buffer_after, exclude=start) \
                or guards.overlaps(start, end, exclude=start):
            continue
        if (
            rules.max_per_day is not None
            and start not in seats_taken
            and slots_per_day[start.astimezone(zone).date()] >= rules.max_per_day
        ):
            continue
        result.append(Slot(start=start, end=end, seats_left=seats_left))
    result.sort(key=lambda slot: slot.start)
    return result


def _index_busy(busy: Iterable[Busy], event_type_id: int | None) -> tuple[Counter[datetime], _Blockers, _Blockers]:
    """The seats taken at each start of this event type, and what blocks a candidate: busy
    intervals as they are, and each widened by its own buffers. All seats of one group slot block
    other candidates as one interval keyed by its start."""
    seats_taken: Counter[datetime] = Counter()
    intervals: list[tuple[datetime, datetime, object]] = []
    guarded: list[tuple[datetime, datetime, object]] = []
    group_ends: dict[datetime, tuple[datetime, timedelta, timedelta]] = {}
    for item in busy:
        start, end = item.start.astimezone(UTC), item.end.astimezone(UTC)
        if event_type_id is not None and item.event_type_id == event_type_id:
            seats_taken[start] += 1
            known = group_ends.get(start)
            group_ends[start] = (max(end, known[0]) if known else end, item.buffer_before, item.buffer_after)
        else:
            intervals.append((start, end, None))
            guarded.append((start - item.buffer_before, end + item.buffer_after, None))
    for start, (end, before, after) in group_ends.items():
        intervals.append((start, end, start))
        guarded.append((start - before, end + after, start))
    return seats_taken, _Blockers(intervals), _Blockers(guarded)


def is_bookable(
    start: datetime,
    availability: Availability,
    rules: BookingRules,
    busy: Sequence[Busy],
    *,
    now: datetime,
    event_type_id: int | None = None,
) -> Slot | None:
    """The slot starting exactly at ``start`` if it is free, else None."""
    start = start.astimezone(UTC)
    for slot in free_slots(
        availability,
        rules,
        busy,
        now=now,
        window_start=start,
        window_end=start + timedelta(seconds=1),
        event_type_id=event_type_id,
    ):
        if slot.start == start:
            return slot
    return None


def subtract(intervals: Iterable[tuple[datetime, datetime]],
             holes: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of ``intervals`` outside every hole, sorted.

    O((n + m) log(n + m)) plus the pieces cut: each interval looks only at the holes it meets.

    Used for busy times read from a host's calendars, which include the events LinkTime wrote
    there for the host's own bookings: those are already known, seats and all, so the same time
    is taken out of what the calendars say.
    """
    cuts: list[tuple[datetime, datetime]] = []  # the holes merged: disjoint, so ends rise with starts
    for hole_start, hole_end in sorted(holes):
        if cuts and hole_start <= cuts[-1][1]:
            cuts[-1] = (cuts[-1][0], max(cuts[-1][1], hole_end))
        else:
            cuts.append((hole_start, hole_end))
    ends = [hole_end for _, hole_end in cuts]
    result: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        i = bisect_right(ends, start)  # the first hole ending after this start
        while i < len(cuts) and cuts[i][0] < end:
            hole_start, hole_end = cuts[i]
            i += 1
            if hole_start > start:
                result.append((start, hole_start))
            start = max(start, hole_end)
            if start >= end:
                break
        if start < end:
            result.append((start, end))
    result.sort()  # overlapping intervals can leave pieces out of order
    return result
