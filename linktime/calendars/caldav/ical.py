"""Busy times out of a CalDAV server's iCalendar answer, at a bounded cost: at most MAX_EVENTS
events, and recurrences expanded only within MAX_RECURRENCE_STEPS rule steps, estimated before
expanding (anything costlier counts as busy)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from linktime.calendars.base import BusyTime

MAX_EVENTS = 2000  # events in one reading (a few weeks of one calendar)
MAX_RECURRENCE_STEPS = 100_000  # rule steps one reading may spend expanding recurrences
PERIOD = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
          "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}


def recurrence_cost(event: Any, end: datetime) -> int:
    """About how many steps expanding the event's rule up to ``end`` takes: the periods from its
    start (a rule is walked from there), times what its BY… parts multiply each period into."""
    rule = event.get("RRULE")
    if rule is None:
        return 1 + len(event.get("RDATE", []) or [])
    rules = rule if isinstance(rule, list) else [rule]
    first = instant(event.get("DTSTART"), ZoneInfo("UTC"))
    if first is None:
        return 0
    total = 0
    for one in rules:
        frequency = str((one.get("FREQ") or ["YEARLY"])[0]).upper()
        interval = max(1, int((one.get("INTERVAL") or [1])[0]))
        until = one.get("UNTIL")
        last = end
        if until:
            bound = until[0]
            bound = bound if isinstance(bound, datetime) else datetime.combine(bound, time(23, 59), UTC)
            last = min(end, bound if bound.tzinfo else bound.replace(tzinfo=UTC))
        periods = max(0.0, (last - first).total_seconds()) / (PERIOD.get(frequency, 86400) * interval)
        spread = 1
        for part in ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"):
            spread *= max(1, len(one.get(part) or []))
        total += int(periods * spread) + 1
    return total


def span(event: Any, zone: ZoneInfo, start: datetime, end: datetime) -> BusyTime | None:
    """Where a recurring event could fall within [start, end): from its first start to its rule's end."""
    first = instant(event.get("DTSTART"), zone)
    if first is None or first >= end:
        return None
    last = end
    for one in (lambda r: r if isinstance(r, list) else [r])(event.get("RRULE")):
        until = (one.get("UNTIL") or [None])[0] if one is not None else None
        if until is not None and not one.get("COUNT"):
            bound = until if isinstance(until, datetime) else datetime.combine(until, time(23, 59), zone)
            last = min(
                last, (bound if bound.tzinfo else bound.replace(tzinfo=zone)).astimezone(UTC) + timedelta(days=1)
            )
    begins = max(first, start)
    return BusyTime(begins, last) if last > begins else None


def is_date(prop: Any) -> bool:
    return prop is not None and isinstance(prop.dt, date) and not isinstance(prop.dt, datetime)


def instant(prop: Any, zone: ZoneInfo) -> datetime | None:
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):  # an all-day event: the whole local day of the host
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    return None


def occurrence(event: Any, zone: ZoneInfo, start: datetime, end: datetime) -> BusyTime | None:
    """When one (expanded) occurrence takes place, if that is within [start, end): its end is DTEND,
    else DTSTART plus DURATION, else a whole day for an all-day event (a moment for a timed one)."""
    begins, ends = instant(event.get("DTSTART"), zone), instant(event.get("DTEND"), zone)
    if begins is None:
        return None
    if ends is None:
        duration = event.get("DURATION")
        ends = begins + (duration.dt if duration is not None else
                         timedelta(days=1) if is_date(event.get("DTSTART")) else timedelta(0))
    return BusyTime(begins, ends) if ends > start and begins < end else None
