"""The host's lists of bookings: the dashboard's tabs and filters, and the same list as a CSV file."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import selectinload

from linktime.extensions import db
from linktime.models import Booking, BookingHost, BookingStatus, EventType, EventTypeHost, User, now_utc
from linktime.notifications import ics

TABS = ("upcoming", "past", "cancelled")
EXPORT_LIMIT = 10_000  # rows in one CSV file: years of a small team's bookings


@dataclass(frozen=True)
class BookingFilter:
    """What the dashboard shows: a tab, whose bookings, an event type, words, days."""

    tab: str = "upcoming"
    member: str = ""  # an admin's: "team", or a member's id
    event_type_id: int | None = None
    search: str = ""
    first_day: date | None = None
    last_day: date | None = None


def host_bookings(host: User, shown: BookingFilter, *, limit: int = 200) -> list[Booking]:
    """The bookings of a dashboard tab (upcoming, past or cancelled): those the host hosts or
    co-hosts; for an admin, with ``member`` "team" every team booking, or a member's id, that
    member's team bookings. ``event_type_id`` narrows to one event type, ``search`` to bookings
    whose invitee's name or email or whose title contains it, the days to those starting from the
    first day to the last (the host's days; either may be open)."""
    now = now_utc()
    tab, member, event_type_id, search = shown.tab, shown.member, shown.event_type_id, shown.search
    team_booking = Booking.event_type_id.in_(select(EventType.id).where(EventType.team_id.is_not(None)))
    if host.is_admin and member == "team":
        query = select(Booking).where(team_booking)
    elif host.is_admin and member.isdigit() and int(member) != host.id:
        query = select(Booking).where(team_booking, _hosted_by(int(member)))
    else:
        query = select(Booking).where(_hosted_by(host.id))
    if event_type_id is not None:
        query = query.where(Booking.event_type_id == event_type_id)
    if search.strip():
        words = search.strip().lower()[:100]
        query = query.where(or_(*(func.lower(column).contains(words, autoescape=True)
                                  for column in (Booking.invitee_name, Booking.invitee_email, Booking.title))))
    zone = ZoneInfo(host.timezone)
    if shown.first_day is not None:
        query = query.where(Booking.start >= datetime.combine(shown.first_day, time(0), zone).astimezone(UTC))
    if shown.last_day is not None:
        following = shown.last_day + timedelta(days=1)
        query = query.where(Booking.start < datetime.combine(following, time(0), zone).astimezone(UTC))
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
    # Meetings, calendar events and hosts in one extra query each, not one per row.
    return list(db.session.scalars(
        query.options(selectinload(Booking.meeting), selectinload(Booking.calendar_event),
                      selectinload(Booking.host), selectinload(Booking.co_hosts).selectinload(BookingHost.user))
        .limit(limit)))


def _hosted_by(user_id: int) -> ColumnElement[bool]:
    return or_(Booking.host_id == user_id,
               Booking.id.in_(select(BookingHost.booking_id).where(BookingHost.user_id == user_id)))


def dashboard_event_types(host: User) -> list[EventType]:
    """The event types a host can narrow the dashboard to: their own, and their teams' (every
    team's, for an admin)."""
    query = select(EventType).where(EventType.host_id == host.id, EventType.team_id.is_(None))
    teams = select(EventType).where(EventType.team_id.is_not(None))
    if not host.is_admin:
        teams = teams.where(EventType.id.in_(select(EventTypeHost.event_type_id)
                                             .where(EventTypeHost.user_id == host.id)))
    return sorted({*db.session.scalars(query), *db.session.scalars(teams)}, key=lambda et: et.title.lower())


COLUMNS = ("Start", "End", "Time zone", "Event type", "Invitee", "Invitee email", "Invitee time zone", "Hosts",
           "Location", "Meeting link", "Status", "Notes", "Cancel reason", "Booked at")


def export_csv(host: User, shown: BookingFilter) -> str:
    """The bookings ``shown`` as a spreadsheet reads them: times in the host's zone, one row each.

    A cell a spreadsheet would run as a formula (=, +, -, @ first) is written with a ' before it:
    invitees choose their own names and notes."""
    zone = ZoneInfo(host.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)

    def stamp(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    for booking in host_bookings(host, shown, limit=EXPORT_LIMIT):
        writer.writerow([_cell(value) for value in (
            stamp(booking.start), stamp(booking.end),
            host.timezone, booking.title, booking.invitee_name, booking.invitee_email, booking.invitee_timezone,
            booking.host_names, booking.location_kind.label, ics.join_url(booking) or "",
            "cancelled" if booking.is_cancelled else "confirmed", booking.notes, booking.cancel_reason or "",
            stamp(booking.created_at))])
    return out.getvalue()


def _cell(value: str) -> str:
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
