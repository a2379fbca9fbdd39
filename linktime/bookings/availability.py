"""What a host offers, read without changing anything: busy times (bookings, buffers, the host's
calendars), the free slots of an event type, a month's calendar for the booking page, and whether
one time can be booked (``check_slot``: decisive only under the host lock, see service.py)."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select, union_all

from linktime.calendars.base import BusyTime
from linktime.calendars.busy import BOOKING_AGE, READINGS_OUTLIVE, CalendarsUnreadable, outside_busy
from linktime.extensions import db
from linktime.models import (
    Booking,
    BookingHost,
    BookingStatus,
    CalendarEvent,
    EventStatus,
    EventType,
    OutOfOffice,
    Scheduling,
    User,
    now_utc,
)
from linktime.scheduling import Availability, BookingRules, Busy, Slot, free_slots, is_bookable, subtract
from linktime.scheduling.teams import anyone_free, everyone_free

# Buffers are at most 12 h: bookings further than this from the window's local days cannot touch it.
BUFFER_MARGIN = timedelta(hours=12)


# A booking lasts at most 12 h (the event-type form's limit): so a booking overlapping the window
# starts at most this long before it, and the query is bounded on both sides by (host_id, start).
LONGEST_BOOKING = timedelta(minutes=720)


class SlotTaken(Exception):
    """Someone else booked the time (or its last seat) first."""


class SlotUnavailable(Exception):
    """The time is not offered at all: past, too soon, too far ahead or outside the hours."""


def _day_bounds(start: datetime, end: datetime, zone: str) -> tuple[datetime, datetime]:
    """From the local midnight before ``start`` to the one after ``end``, in the host's zone.

    Daily limits count whole local days, which last 23 or 25 hours across a DST change.
    """
    tz = ZoneInfo(zone)
    first = datetime.combine(start.astimezone(tz).date(), time(0), tz)
    last = datetime.combine(end.astimezone(tz).date() + timedelta(days=1), time(0), tz)
    return first.astimezone(UTC) - BUFFER_MARGIN, last.astimezone(UTC) + BUFFER_MARGIN


def busy_times(host_id: int, start: datetime, end: datetime, *, zone: str = "UTC",
               exclude: int | None = None, outside: list[BusyTime] | None = None) -> list[Busy]:
    """What takes the host's time near [start, end), for the core: their confirmed bookings, with
    their own buffers, and the busy times of the calendars they check for conflicts.

    ``outside``: the calendars' busy times already read for this window (fresh, for a booking);
    None reads them (kept readings, for a page).
    """
    since, until = _day_bounds(start, end, zone)
    rows = db.session.execute(
        select(Booking.id, Booking.start, Booking.end, Booking.event_type_id,
               EventType.buffer_before_minutes, EventType.buffer_after_minutes)
        .outerjoin(EventType, EventType.id == Booking.event_type_id)
        .where(
            or_(Booking.host_id == host_id,
                Booking.id.in_(select(BookingHost.booking_id).where(BookingHost.user_id == host_id))),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start < until,
            Booking.start >= since - LONGEST_BOOKING,
            Booking.end > since,
        )
    ).all()
    busy = [Busy(start=s, end=e, event_type_id=et, buffer_before=timedelta(minutes=before or 0),
                 buffer_after=timedelta(minutes=after or 0))
            for booking_id, s, e, et, before, after in rows if booking_id != exclude]
    if outside is None:
        outside = outside_busy(host_id, since, until, zone=zone)
    if not outside:
        return busy
    # The calendars hold LinkTime's own events too: those of these bookings (known already, seats
    # and all), and those still there for a booking cancelled or moved since (their removal or move
    # may be on its way, or failing). None of them is busy of its own, in any process.
    own = [(s.astimezone(UTC), e.astimezone(UTC)) for _, s, e, *_ in rows] + _own_events(host_id, since, until)
    busy += [Busy(start=s, end=e) for s, e in subtract([(b.start, b.end) for b in outside], own)]
    return busy


def _own_events(host_id: int, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Where the host's calendars may hold LinkTime's events in the window, or where a reading made
    in the last minutes (by any process) may have seen one: each event not yet removed, at the time
    it was last written and at its booking's time (a write may be on its way), and where an event
    was before a move or removal of the last two reading lifetimes."""
    event = CalendarEvent
    recently = now_utc() - READINGS_OUTLIVE  # a reading kept by any process was made after this

    def events_for(query: Select) -> Select:
        return query.where(event.host_id == host_id,
                           or_(event.status != EventStatus.REMOVED, event.released_at >= recently),
                           or_(and_(event.written_start < until, event.written_end > since),
                               and_(Booking.start < until, Booking.end > since), event.released_at >= recently))

    columns = select(event.status, event.written_start, event.written_end, Booking.start, Booking.end, event.released)
    rows = db.session.execute(union_all(
        events_for(columns.join(Booking, Booking.calendar_event_id == event.id)),
        events_for(columns.join(BookingHost, BookingHost.calendar_event_id == event.id)  # as a co-host
                   .join(Booking, Booking.id == BookingHost.booking_id)),
        events_for(columns.join(Booking, Booking.id == event.former_booking_id)),  # a booking handed over
    )).all()
    own = []
    for status, written_start, written_end, start, end, released in rows:
        spans = [(written_start, written_end)] + ([(start, end)] if status != EventStatus.REMOVED else [])
        spans += [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e, at in released or []
                  if datetime.fromisoformat(at) >= recently]
        own += [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in spans
                if s is not None and e is not None and s < until and e > since]
    return own


def outside_window(event_type: EventType, start: datetime) -> list[BusyTime]:
    """The checked calendars' busy times around one slot, read fresh (for a booking, before its lock;
    a reading made for another booking in the last ``BOOKING_AGE`` serves a burst of them), or
    CalendarsUnreadable when a checked calendar could not be read."""
    return _outside_of(event_type, event_type.host, start)


def _outside_of(event_type: EventType, member: User, start: datetime) -> list[BusyTime]:
    since, until = _day_bounds(start, start + event_type.rules.duration, member.timezone)
    return outside_busy(member.id, since, until, zone=member.timezone, max_age=BOOKING_AGE, strict=True)


def slots_between(event_type: EventType, start: datetime, end: datetime, *, exclude: int | None = None,
                  hosts: list[User] | None = None) -> list[Slot]:
    """The times of [start, end) the event type offers: its host's free ones, or for a team event
    type those at which at least one member (round-robin) or every member (collective) is free;
    with ``hosts`` (a team booking moved), those at which every one of them is."""
    if not event_type.is_team:
        return _free_for(event_type, event_type.host, event_type.availability, start, end, exclude=exclude)
    members = hosts or hosts_of(event_type)
    away = days_away([member.id for member in members], start, end)
    if _needs_all(event_type, hosts):
        return slots_with(event_type, members, start, end, away, exclude=exclude)
    return anyone_free([_free_for(event_type, member, event_type.availability_in(member.timezone, away[member.id]),
                                  start, end, exclude=exclude) for member in members])


def slots_with(event_type: EventType, members: list[User], start: datetime, end: datetime,
               away: dict[int, set[date]], *, exclude: int | None = None) -> list[Slot]:
    """The times of [start, end) at which every one of ``members`` is free, each keeping the event
    type's hours in their own zone (``away``: their days out of office)."""
    return everyone_free([_free_for(event_type, member, event_type.availability_in(member.timezone, away[member.id]),
                                    start, end, exclude=exclude) for member in members])


def _needs_all(event_type: EventType, hosts: list[User] | None) -> bool:
    return hosts is not None or event_type.scheduling_kind is Scheduling.COLLECTIVE


def _free_for(event_type: EventType, member: User, hours: Availability, start: datetime, end: datetime, *,
              exclude: int | None = None, outside: list[BusyTime] | None = None) -> list[Slot]:
    return free_slots(hours, event_type.rules,
                      busy_times(member.id, start, end, zone=member.timezone, exclude=exclude, outside=outside),
                      now=now_utc(), window_start=start, window_end=end, event_type_id=event_type.id)


def hosts_of(event_type: EventType) -> list[User]:
    """Who may host its bookings, by id (the order their locks are taken in): a team event type's
    chosen members, or its host."""
    if not event_type.is_team:
        return [event_type.host]
    return [chosen.user for chosen in event_type.team_hosts]


def days_away(user_ids: list[int], start: datetime, end: datetime) -> dict[int, set[date]]:
    """Each host's days out of office near [start, end) (in their own zones: a day either side)."""
    first, last = start.date() - timedelta(days=1), end.date() + timedelta(days=1)
    away: dict[int, set[date]] = {user_id: set() for user_id in user_ids}
    if not user_ids:
        return away
    for user_id, since, until in db.session.execute(
            select(OutOfOffice.user_id, OutOfOffice.first_day, OutOfOffice.last_day)
            .where(OutOfOffice.user_id.in_(user_ids), OutOfOffice.first_day <= last, OutOfOffice.last_day >= first)):
        day = max(since, first)
        while day <= min(until, last):
            away[user_id].add(day)
            day += timedelta(days=1)
    return away


@dataclass(frozen=True)
class Month:
    """One month of the booking calendar, in the invitee's time zone."""

    first: date
    end: datetime  # the instant the month ends, in the invitee's zone
    weeks: list[list[date]]
    slots_by_day: dict[date, list[Slot]]
    previous: date | None
    next: date | None


def month_view(event_type: EventType, zone: str, month: date | None, *, exclude: int | None = None,
               hosts: list[User] | None = None, first_weekday: int = 0) -> Month:
    """Free slots of one month (the first month with any, when none is asked for), in weeks from
    ``first_weekday`` (0 Monday, 6 Sunday)."""
    tz = ZoneInfo(zone)
    now = now_utc()
    this_month = now.astimezone(tz).date().replace(day=1)
    last_month = (now + event_type.rules.horizon).astimezone(tz).date().replace(day=1)
    by_day: dict[date, list[Slot]] | None = None
    if month is None:
        month, by_day = _first_month_with_times(event_type, tz, this_month, last_month, exclude, hosts)
    month = min(max(month.replace(day=1), this_month), last_month)
    following = (month + timedelta(days=32)).replace(day=1)
    if by_day is None:
        by_day = _month_slots(event_type, tz, month, exclude, hosts)
    previous = (month - timedelta(days=1)).replace(day=1)
    return Month(
        first=month,
        end=datetime.combine(following, time(0), tz).astimezone(UTC),
        weeks=calendar.Calendar(firstweekday=first_weekday).monthdatescalendar(month.year, month.month),
        slots_by_day=by_day,
        previous=previous if previous >= this_month else None,
        next=following if following <= last_month else None,
    )


# Candidate start times one public request may examine, whatever the window and step: about
# six months at 5-minute steps, the whole window at 30-minute steps (a month is at most 8,928).
SLOT_BUDGET = 60_000


def month_cost(event_type: EventType) -> int:
    """An upper bound of the candidate starts in one month of this event type."""
    return 31 * 1440 // max(5, event_type.increment_minutes)


def _month_slots(event_type: EventType, tz: ZoneInfo, month: date, exclude: int | None,
                 hosts: list[User] | None) -> dict[date, list[Slot]]:
    following = (month + timedelta(days=32)).replace(day=1)
    start = datetime.combine(month, time(0), tz).astimezone(UTC)
    end = datetime.combine(following, time(0), tz).astimezone(UTC)
    by_day: dict[date, list[Slot]] = {}
    for slot in slots_between(event_type, start, end, exclude=exclude, hosts=hosts):
        by_day.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return by_day


def _first_month_with_times(event_type: EventType, tz: ZoneInfo, this_month: date, last_month: date,
                            exclude: int | None, hosts: list[User] | None) -> tuple[date, dict[date, list[Slot]]]:
    """Month by month from this one, stopping at the first with a free time or when the budget is spent.

    When the budget runs out the page shows this month (the invitee can page on from there).
    """
    spent, month = 0, this_month
    while month <= last_month and spent + month_cost(event_type) <= SLOT_BUDGET:
        by_day = _month_slots(event_type, tz, month, exclude, hosts)
        spent += month_cost(event_type)
        if by_day:
            return month, by_day
        month = (month + timedelta(days=32)).replace(day=1)
    return this_month, {}  # this month was looked at first, and had nothing


ALTERNATIVES = 8  # other times offered to an invitee who lost theirs
ALTERNATIVES_WITHIN = timedelta(days=14)


def times_after_taken(event_type: EventType, taken: datetime, zone: str) -> list[datetime]:
    """Free times for someone whose chosen time was just taken: that day's others first (in the
    invitee's ``zone``), then the next days', within two weeks."""
    day_start = datetime.combine(taken.astimezone(ZoneInfo(zone)).date(), time(0), ZoneInfo(zone)).astimezone(UTC)
    starts = [slot.start for slot in slots_between(event_type, day_start, day_start + ALTERNATIVES_WITHIN)
              if slot.start != taken]
    return starts[:ALTERNATIVES]


def check_offered(event_type: EventType, start: datetime) -> None:
    """Raise SlotTaken or SlotUnavailable unless ``start`` can be booked now (reads only)."""
    if not event_type.active:
        raise SlotUnavailable()
    if event_type.is_team:
        free_hosts(event_type, start.astimezone(UTC))
    else:
        check_slot(event_type, start.astimezone(UTC))


def team_outside(event_type: EventType, start: datetime, hosts: list[User] | None = None
                 ) -> dict[int, list[BusyTime]]:
    """Each member's checked calendars around one slot, read fresh (for a booking, before the locks).

    A round-robin booking goes on without a member whose calendar cannot be read now (left out, they
    are not offered it); a collective one, or one moved with its hosts, needs every one of them:
    CalendarsUnreadable, as when no member could be read."""
    found: dict[int, list[BusyTime]] = {}
    failed: CalendarsUnreadable | None = None
    for member in hosts or hosts_of(event_type):
        try:
            found[member.id] = _outside_of(event_type, member, start)
        except CalendarsUnreadable as exc:
            if _needs_all(event_type, hosts):
                raise
            failed = failed or exc
    if failed is not None and not found:
        raise failed
    return found


def free_hosts(event_type: EventType, start: datetime, *, exclude: int | None = None,
               outside: dict[int, list[BusyTime]] | None = None, hosts: list[User] | None = None,
               rules: BookingRules | None = None) -> list[tuple[User, Slot]]:
    """The members free at ``start`` (every one, for a collective event type, and of ``hosts``, a
    team booking moved), each with their slot; or SlotTaken / SlotUnavailable. Decisive only under
    the locks of every member."""
    start = start.astimezone(UTC)
    now = now_utc()
    members = hosts or hosts_of(event_type)
    rules = rules or event_type.rules
    away = days_away([member.id for member in members], start, start + rules.duration)
    free, offered = [], 0
    for member in members:
        if outside is not None and member.id not in outside:
            continue  # their calendar could not be read for this booking (team_outside)
        hours = event_type.availability_in(member.timezone, away[member.id])
        if is_bookable(start, hours, rules, [], now=now) is None:
            continue
        offered += 1
        busy = busy_times(member.id, start, start + rules.duration, zone=member.timezone,
                          exclude=exclude, outside=None if outside is None else outside[member.id])
        slot = is_bookable(start, hours, rules, busy, now=now, event_type_id=event_type.id)
        if slot is not None:
            free.append((member, slot))
    collective = _needs_all(event_type, hosts)
    if free and (not collective or len(free) == len(members)):
        return free
    if offered and (not collective or offered == len(members)):
        raise SlotTaken()
    raise SlotUnavailable()


def check_slot(event_type: EventType, start: datetime, *, exclude: int | None = None,
                outside: list[BusyTime] | None = None) -> Slot:
    """The free slot at ``start``, or SlotTaken / SlotUnavailable; decisive only in host_transaction()."""
    now = now_utc()
    slot = is_bookable(
        start,
        event_type.availability,
        event_type.rules,
        busy_times(event_type.host_id, start, start + event_type.rules.duration, zone=event_type.host.timezone,
                   exclude=exclude, outside=outside),
        now=now,
        event_type_id=event_type.id,
    )
    if slot is not None:
        return slot
    if is_bookable(start, event_type.availability, event_type.rules, [], now=now):
        raise SlotTaken()
    raise SlotUnavailable()
