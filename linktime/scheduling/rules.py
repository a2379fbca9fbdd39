"""Value types of the scheduling core, and the text format hosts type their hours in.

Hours are written the way people say them: ``09:00-12:00, 13:00-17:00``; a day off is empty.
Date overrides are one per line: ``2026-12-24 off`` or ``2026-12-31 09:00-12:00``.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WorkingHours = tuple[tuple[time, time], ...]
"""Intervals of one day in the host's wall-clock time, sorted and not overlapping."""

END_OF_DAY = time.max
"""Stands for 24:00 as the end of an interval."""

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Availability:
    """When a host works: weekly hours plus dates that differ, in the host's time zone."""

    timezone: str
    weekly: Mapping[int, WorkingHours]  # 0 = Monday … 6 = Sunday
    overrides: Mapping[date, WorkingHours] = field(default_factory=dict)  # () = day off

    def hours_on(self, day: date) -> WorkingHours:
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class BookingRules:
    """What an event type allows: length, spacing, notice, limits and seats."""

    duration: timedelta
    increment: timedelta
    min_notice: timedelta = timedelta(0)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    max_per_day: int | None = None
    horizon: timedelta = timedelta(days=60)
    seats: int = 1


@dataclass(frozen=True)
class Busy:
    """Time the host is taken. ``event_type_id`` lets a group event share its own slot.

    ``buffer_before`` / ``buffer_after`` are the booking's own buffers: a new slot keeps at least
    the larger of its buffer and the booking's on each side (buffers may overlap, meetings not).
    """

    start: datetime
    end: datetime
    event_type_id: int | None = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    seats_left: int


def N_(message: str) -> str:
    """Marks an English message for the catalogues; it is translated where it is shown."""
    return message


class HoursError(ValueError):
    """The text of working hours or overrides could not be understood.

    ``message`` is English with %(name)s fields filled from ``values`` (another HoursError among them
    is a part of the sentence), so a page can say it in its reader's language: ``said(gettext)``.
    """

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.said(lambda text: text))

    def said(self, translate: Callable[[str], str]) -> str:
        values = {key: value.said(translate) if isinstance(value, HoursError) else value
                  for key, value in self.values.items()}
        return translate(self.message) % values


_TIME = r"(\d{1,2})(?::(\d{2}))?"
_INTERVAL = re.compile(rf"^\s*{_TIME}\s*[-–—]\s*{_TIME}\s*$")


def _parse_time(hour: str, minute: str | None, *, is_end: bool) -> time:
    h, m = int(hour), int(minute or 0)
    if is_end and h == 24 and m == 0:
        return END_OF_DAY
    if h > 23 or m > 59:
        raise HoursError(N_("%(time)s is not a time of day"), time=f"{hour}:{minute or '00'}")
    return time(h, m)


def parse_hours(text: str) -> WorkingHours:
    """Parse ``09:00-12:00, 13:00-17:00`` into sorted, non-overlapping intervals."""
    text = (text or "").strip()
    if not text or text.lower() in {"off", "closed", "unavailable", "-"}:
        return ()
    intervals = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if not match:
            raise HoursError(N_("“%(part)s” should look like 09:00-17:00"), part=part.strip())
        start = _parse_time(match[1], match[2], is_end=False)
        end = _parse_time(match[3], match[4], is_end=True)
        if end <= start:
            raise HoursError(N_("“%(part)s” ends before it starts"), part=part.strip())
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in itertools.pairwise(intervals):
        if start < end:
            raise HoursError(N_("intervals on one day must not overlap"))
    return tuple(intervals)


def _format_time(value: time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def format_hours(hours: WorkingHours) -> str:
    return ", ".join(f"{_format_time(a)}-{_format_time(b)}" for a, b in hours)


def parse_overrides(text: str) -> dict[date, WorkingHours]:
    """Parse one override per line: ``2026-12-24 off`` or ``2026-12-31 09:00-12:00``."""
    overrides: dict[date, WorkingHours] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = re.match(r"^(\d{4}-\d{2}-\d{2})\s*:?\s*(.*)$", line)
        if not match:
            raise HoursError(N_("line %(number)d: start with a date like 2026-12-24"), number=number)
        try:
            day = date.fromisoformat(match[1])
        except ValueError:
            raise HoursError(N_("line %(number)d: %(day)s is not a date"), number=number, day=match[1]) from None
        if day in overrides:
            raise HoursError(N_("line %(number)d: %(day)s is listed twice"), number=number, day=str(day))
        try:
            overrides[day] = parse_hours(match[2])
        except HoursError as exc:
            raise HoursError(N_("line %(number)d: %(problem)s"), number=number, problem=exc) from None
    return overrides


def format_overrides(overrides: Mapping[date, WorkingHours]) -> str:
    return "\n".join(
        f"{day.isoformat()} {format_hours(hours) or 'off'}" for day, hours in sorted(overrides.items())
    )


# Storage as JSON: {"0": [["09:00", "17:00"]]} and {"2026-12-24": []}.
def hours_to_json(hours: WorkingHours) -> list[list[str]]:
    return [[_format_time(a), _format_time(b)] for a, b in hours]


def hours_from_json(value: list[list[str]]) -> WorkingHours:
    return tuple(
        (time.fromisoformat(a), END_OF_DAY if b == "24:00" else time.fromisoformat(b)) for a, b in value
    )
