"""Booking, cancelling and rescheduling — each one database transaction.

Concurrency: every change to a host's calendar starts by bumping ``users.booking_seq`` for that
host. The UPDATE takes a row lock on PostgreSQL and the write lock on SQLite (it is the first
write of the transaction, so pysqlite opens the transaction right there), so two invitees racing
for one slot are serialised: the second sees the first one's booking when it checks the slot.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from linktime import audit
from linktime.calendars import events
from linktime.calendars.base import BusyTime
from linktime.calendars.busy import BOOKING_AGE, READINGS_OUTLIVE, outside_busy, renew
from linktime.conferencing import meetings
from linktime.conferencing.base import makes_meetings, provider_for
from linktime.extensions import db, rows_changed
from linktime.formatting import format_when
from linktime.host_lock import host_transaction
from linktime.jobs.runner import run_briefly, run_soon
from linktime.models import (
    Booking,
    BookingStatus,
    CalendarEvent,
    EventStatus,
    EventType,
    Meeting,
    User,
    now_utc,
)
from linktime.notifications.booking_messages import queue_booked, queue_cancelled, queue_link_again, queue_rescheduled
from linktime.scheduling import Busy, Slot, free_slots, is_bookable, subtract
from linktime.tokens import digest, uid_of

# Buffers are at most 12 h: bookings further than this from the window's local days cannot touch it.
BUFFER_MARGIN = timedelta(hours=12)
# A booking lasts at most 12 h (the event-type form's limit): so a booking overlapping the window
# starts at most this long before it, and the query is bounded on both sides by (host_id, start).
LONGEST_BOOKING = timedelta(minutes=720)


class SlotTaken(Exception):
    """Someone else booked the time (or its last seat) first."""


class SlotUnavailable(Exception):
    """The time is not offered at all: past, too soon, too far ahead or outside the hours."""


class BookingLimit(Exception):
    """A cap on new bookings is reached (per invitee email and host, or per host, per day)."""


class BookingClosed(Exception):
    """The booking can no longer be changed (cancelled, or already over)."""


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str
    timezone: str
    notes: str = ""
    phone: str = ""  # E.164, for SMS / WhatsApp reminders
    channel: str = ""  # "sms" or "whatsapp"


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
            Booking.host_id == host_id,
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
    rows = db.session.execute(
        select(event.status, event.written_start, event.written_end, Booking.start, Booking.end, event.released)
        .join(Booking, Booking.calendar_event_id == event.id)
        .where(event.host_id == host_id,
               or_(event.status != EventStatus.REMOVED, event.released_at >= recently),
               or_(and_(event.written_start < until, event.written_end > since),
                   and_(Booking.start < until, Booking.end > since), event.released_at >= recently))
    ).all()
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
    since, until = _day_bounds(start, start + event_type.rules.duration, event_type.host.timezone)
    return outside_busy(event_type.host_id, since, until, zone=event_type.host.timezone, max_age=BOOKING_AGE,
                        strict=True)


def slots_between(event_type: EventType, start: datetime, end: datetime, *, exclude: int | None = None) -> list[Slot]:
    return free_slots(
        event_type.availability,
        event_type.rules,
        busy_times(event_type.host_id, start, end, zone=event_type.host.timezone, exclude=exclude),
        now=now_utc(),
        window_start=start,
        window_end=end,
        event_type_id=event_type.id,
    )


@dataclass(frozen=True)
class Month:
    """One month of the booking calendar, in the invitee's time zone."""

    first: date
    end: datetime  # the instant the month ends, in the invitee's zone
    weeks: list[list[date]]
    slots_by_day: dict[date, list[Slot]]
    previous: date | None
    next: date | None


def month_view(event_type: EventType, zone: str, month: date | None, *, exclude: int | None = None) -> Month:
    """Free slots of one month (the first month with any, when none is asked for)."""
    tz = ZoneInfo(zone)
    now = now_utc()
    this_month = now.astimezone(tz).date().replace(day=1)
    last_month = (now + event_type.rules.horizon).astimezone(tz).date().replace(day=1)
    by_day: dict[date, list[Slot]] | None = None
    if month is None:
        month, by_day = _first_month_with_times(event_type, tz, this_month, last_month, exclude)
    month = min(max(month.replace(day=1), this_month), last_month)
    following = (month + timedelta(days=32)).replace(day=1)
    if by_day is None:
        by_day = _month_slots(event_type, tz, month, exclude)
    previous = (month - timedelta(days=1)).replace(day=1)
    return Month(
        first=month,
        end=datetime.combine(following, time(0), tz).astimezone(UTC),
        weeks=calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month),
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


def _month_slots(event_type: EventType, tz: ZoneInfo, month: date, exclude: int | None) -> dict[date, list[Slot]]:
    following = (month + timedelta(days=32)).replace(day=1)
    start = datetime.combine(month, time(0), tz).astimezone(UTC)
    end = datetime.combine(following, time(0), tz).astimezone(UTC)
    by_day: dict[date, list[Slot]] = {}
    for slot in slots_between(event_type, start, end, exclude=exclude):
        by_day.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return by_day


def _first_month_with_times(event_type: EventType, tz: ZoneInfo, this_month: date, last_month: date,
                            exclude: int | None) -> tuple[date, dict[date, list[Slot]]]:
    """Month by month from this one, stopping at the first with a free time or when the budget is spent.

    When the budget runs out the page shows this month (the invitee can page on from there).
    """
    spent, month = 0, this_month
    while month <= last_month and spent + month_cost(event_type) <= SLOT_BUDGET:
        by_day = _month_slots(event_type, tz, month, exclude)
        spent += month_cost(event_type)
        if by_day:
            return month, by_day
        month = (month + timedelta(days=32)).replace(day=1)
    return this_month, {}  # this month was looked at first, and had nothing


def check_offered(event_type: EventType, start: datetime) -> None:
    """Raise SlotTaken or SlotUnavailable unless ``start`` can be booked now (reads only)."""
    if not event_type.active:
        raise SlotUnavailable()
    _check_slot(event_type, start.astimezone(UTC))


def _check_slot(event_type: EventType, start: datetime, *, exclude: int | None = None,
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


LINK_RESEND_INTERVAL = timedelta(minutes=10)


def _by_key(key: str | None) -> Booking | None:
    """The booking a form made, found by its key (server-issued and checked by the view)."""
    if not key:
        return None
    return db.session.scalar(select(Booking).where(Booking.idempotency_key == key))


def book_slot(event_type: EventType, start: datetime, invitee: Invitee, *, key: str | None = None) -> Booking:
    """Book ``start`` for the invitee; the same form sent again returns the booking it made.

    Only the form's own key finds an existing booking: a taken slot is SlotTaken for everyone
    else, whoever holds it, and its holders are sent their link again (see resend_links).
    """
    if not event_type.active:
        raise SlotUnavailable()
    start = start.astimezone(UTC)
    existing = _by_key(key)
    if existing is not None:
        return existing
    try:
        # Read first, without the host lock: a time already gone is answered without queueing behind
        # the other requests for it. Only the check under the lock below decides a booking.
        _check_slot(event_type, start)
        outside = outside_window(event_type, start)  # no calendar is read under the lock
    except SlotTaken:
        _taken(event_type, start)
        raise
    try:
        with host_transaction(event_type.host_id):
            existing = _by_key(key)
            if existing is not None:
                return existing
            slot = _check_slot(event_type, start, outside=outside)
            _check_caps(event_type.host, invitee.email, event_type=event_type)
            booking = _new_booking(event_type, slot, invitee, key=key)
            jobs = meetings.plan_meeting(booking, event_type)
            messages = queue_booked(booking, event_type) + events.plan_event(booking)
    except IntegrityError:
        # The same form submitted twice at the same instant: the other request won.
        existing = _by_key(key)
        if existing is None:
            raise
        return existing
    except SlotTaken:
        _taken(event_type, start)
        raise
    run_briefly(jobs)  # the confirmation page shows the meeting link when the provider answers at once
    run_soon(messages)
    return booking


def _taken(event_type: EventType, start: datetime, *, exclude: int | None = None) -> None:
    """After SlotTaken. Taken by an event in the host's calendars: the pages that still offer the
    time are renewed. Taken by a booking: its holders are sent their link again."""
    try:
        _check_slot(event_type, start, exclude=exclude, outside=[])
    except (SlotTaken, SlotUnavailable):
        if exclude is None:
            resend_links(event_type, start)
    else:
        renew(event_type.host_id)


def _new_booking(event_type: EventType, slot: Slot, invitee: Invitee, *, key: str | None,
                 series: tuple[str, int] | None = None) -> Booking:
    """A confirmed booking of ``slot``, added and flushed (in a host transaction)."""
    booking = Booking(
        host_id=event_type.host_id,
        event_type_id=event_type.id,
        title=event_type.title,
        location=event_type.location,
        location_detail=event_type.location_detail,
        start=slot.start,
        end=slot.end,
        invitee_name=invitee.name.strip(),
        invitee_email=invitee.email.strip().lower(),
        invitee_timezone=invitee.timezone,
        notes=invitee.notes.strip(),
        invitee_phone=invitee.phone if invitee.channel else "",
        reminder_channel=invitee.channel if invitee.phone else "",
        idempotency_key=key,
        series_id=series[0] if series else None,
        series_index=series[1] if series else None,
    )
    db.session.add(booking)
    db.session.flush()
    audit.note_booking(booking.id, f"Booked by {booking.invitee_name} for "
                                   f"{format_when(booking.start, event_type.host.timezone, 24)}"
                                   + (f", session {series[1]} of a series." if series else "."))
    return booking


def _check_caps(host: User, email: str, new: int = 1, *, event_type: EventType | None = None) -> None:
    """Bound what strangers can book: per invitee email and host, and per host, in 24 hours; and
    the meetings one video account makes in 24 hours, summed over every host it serves (a team's
    shared Zoom account), each session of a series counting.

    Runs under the host lock, so the per-host counts are exact (the per-account count may be
    passed by the few bookings other hosts make at the same instant). Cancelled bookings count
    too: booking and cancelling in a loop would otherwise burn the host's Zoom quota all the same.
    """
    config = current_app.config
    since = now_utc() - timedelta(days=1)
    first_of_series = or_(Booking.series_index.is_(None), Booking.series_index == 1)  # a series counts once
    per_host, per_email = db.session.execute(
        select(func.count(), func.count().filter(Booking.invitee_email == email.strip().lower(), first_of_series))
        .select_from(Booking).where(Booking.host_id == host.id, Booking.created_at > since)
    ).one()
    if per_email >= int(config["BOOKINGS_PER_EMAIL_PER_DAY"]):
        raise BookingLimit(f"This email address has reached the limit of bookings with {host.name} "
                           "for today. Please try again tomorrow, or change one of your bookings instead.")
    if per_host + new > int(config["BOOKINGS_PER_HOST_PER_DAY"]):
        raise BookingLimit(f"{host.name} cannot take more bookings today. Please try again tomorrow.")
    provider = provider_for(event_type.location) if event_type is not None else None
    account = provider.connection_for(host.id) if provider is not None else None
    if provider is not None and account is not None:
        made = db.session.scalar(select(func.count(Meeting.id)).where(
            Meeting.provider == provider.location.value, Meeting.account_id == account.id, Meeting.created_at > since))
        if (made or 0) + new > int(config["MEETINGS_PER_ACCOUNT_PER_DAY"]):
            raise BookingLimit(f"{host.name} cannot take more {provider.location.label} bookings today. "
                               "Please try again tomorrow.")


def resend_links(event_type: EventType, start: datetime) -> None:
    """Someone asked for a taken slot: send its holders their booking link (each at most every 10 min).

    Whoever asked learns nothing: the answer does not depend on who holds the slot, and the
    link goes only to the address that holds the booking.
    """
    now = now_utc()
    due = or_(Booking.link_resent_at.is_(None), Booking.link_resent_at < now - LINK_RESEND_INTERVAL)
    # Read first: while the links were sent lately, a flood of requests for the time writes nothing.
    holders = list(db.session.scalars(select(Booking.id).where(
        Booking.event_type_id == event_type.id, Booking.start == start,
        Booking.status == BookingStatus.CONFIRMED, due,
    )))
    if not holders:
        return
    jobs = []
    for booking_id in holders:
        claimed = rows_changed(
            update(Booking).where(Booking.id == booking_id, due).values(link_resent_at=now)
        )
        if claimed:
            jobs.append(queue_link_again(db.session.get_one(Booking, booking_id)))
    db.session.commit()
    run_soon(jobs)


def _changeable(booking_id: int) -> Booking:
    """The booking as it is now (read inside the host lock), if it can still be changed."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or not booking.is_changeable:
        raise BookingClosed()
    return booking


def _cancel(booking: Booking, by: str, reason: str) -> tuple[list, list]:
    """In a host transaction: cancel one changeable booking; its meeting, event and notices follow."""
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now_utc()
    booking.cancelled_by = by
    booking.cancel_reason = reason.strip()
    booking.sequence = Booking.sequence + 1  # in SQL: strictly increasing whatever was read
    db.session.flush()
    audit.note_booking(booking.id, f"Cancelled by {'the host' if by == 'host' else booking.invitee_name}"
                                   + (f": “{booking.cancel_reason}”" if booking.cancel_reason else "."))
    return meetings.release_meeting(booking), queue_cancelled(booking) + events.release_event(booking)


def cancel_booking(booking: Booking, *, by: str, reason: str = "") -> Booking:
    """Cancel a confirmed, upcoming booking; its time becomes free again."""
    with host_transaction(booking.host_id):
        booking = _changeable(booking.id)
        jobs, messages = _cancel(booking, by, reason)
    run_briefly(jobs)
    run_soon(messages)
    return booking


def cancel_rest(booking: Booking, *, by: str, reason: str = "") -> list[Booking]:
    """Cancel this session of a series and every later one that can still be changed, at once."""
    with host_transaction(booking.host_id):
        booking = _changeable(booking.id)
        sessions = [booking] if booking.series_id is None else list(db.session.scalars(
            select(Booking).where(Booking.series_id == booking.series_id, Booking.start >= booking.start,
                                  Booking.status == BookingStatus.CONFIRMED, Booking.end > now_utc())
            .order_by(Booking.start).execution_options(populate_existing=True)))
        jobs, messages = [], []
        for session in sessions:
            more_jobs, more_messages = _cancel(session, by, reason)
            jobs += more_jobs
            messages += more_messages
    run_briefly(jobs)
    run_soon(messages)
    return sessions


def reschedule_booking(booking: Booking, start: datetime, *, by: str = "invitee") -> Booking:
    """Move a booking to another free time of its event type (``by`` the invitee or the host)."""
    start = start.astimezone(UTC)
    outside = outside_window(booking.event_type, start) if booking.event_type else []
    try:
        with host_transaction(booking.host_id):
            booking = _changeable(booking.id)
            event_type = booking.event_type
            if event_type is None or not event_type.active:
                raise SlotUnavailable()
            slot = _check_slot(event_type, start, exclude=booking.id, outside=outside)
            zone = booking.host.timezone
            audit.note_booking(
                booking.id,
                f"Moved by {'the host' if by == 'host' else booking.invitee_name} from "
                f"{format_when(booking.start, zone, 24)} to {format_when(slot.start, zone, 24)}.",
            )
            booking.start, booking.end = slot.start, slot.end
            booking.sequence = Booking.sequence + 1
            db.session.flush()
            jobs = meetings.move_meeting(booking, event_type)
            messages = queue_rescheduled(booking, event_type) + events.follow_booking(booking)
    except SlotTaken:
        if booking.event_type is not None:
            _taken(booking.event_type, start, exclude=booking.id)
        raise
    run_briefly(jobs)
    run_soon(messages)
    return booking


def retry_meeting(booking: Booking) -> Meeting | None:
    """Give a confirmed booking another try at its meeting (the dashboard's Retry)."""
    with host_transaction(booking.host_id):
        booking = db.session.get_one(Booking, booking.id, populate_existing=True)
        if not booking.is_changeable or not makes_meetings(booking.location):
            return None
        if booking.meeting is None:
            jobs = meetings.plan_meeting(booking, booking.event_type) if booking.event_type else []
        else:
            jobs = meetings.retry_meeting(booking.meeting)
        meeting_id = booking.meeting_id
    run_briefly(jobs)
    return db.session.get(Meeting, meeting_id, populate_existing=True) if meeting_id else None


def find_by_token(token: str) -> Booking | None:
    """The booking a manage link names; a forged, foreign or malformed token finds nothing."""
    if not token or len(token) > 64:
        return None
    uid = uid_of("manage", token)
    if uid is not None:
        return db.session.scalar(select(Booking).where(Booking.uid == uid))
    return db.session.scalar(select(Booking).where(Booking.manage_token_hash == digest(token)))


def host_bookings(host: User, tab: str, *, limit: int = 200) -> list[Booking]:
    """The host's bookings for a dashboard tab: upcoming, past or cancelled."""
    now = now_utc()
    query = select(Booking).where(Booking.host_id == host.id)
    if tab == "cancelled":
        query = query.where(Booking.status == BookingStatus.CANCELLED).order_by(Booking.start.desc())
    elif tab == "past":
        query = query.where(Booking.status == BookingStatus.CONFIRMED, Booking.end <= now).order_by(
            Booking.start.desc()
        )
    else:
        query = query.where(Booking.status == BookingStatus.CONFIRMED, Booking.end > now).order_by(
            Booking.start
        )
    # Meetings and calendar events in one extra query each, not one per row.
    return list(db.session.scalars(
        query.options(selectinload(Booking.meeting), selectinload(Booking.calendar_event)).limit(limit)))
