"""Recurring bookings: a series of sessions every N weeks at the same local time of the host.

Each session is its own booking — its own meeting, calendar event, reminders and invite UID —
and the sessions share a ``series_id``. Every rule of the event type applies to each session
(hours, notice, window, buffers, daily limits, seats), so some sessions of a series may not be
free: the invitee books the free ones, or none. All sessions are booked in one transaction under
the host lock, after each session's day was read from the host's calendars.

"The same local time" is the host's: their working hours are local, so a series stays at 10:00 in
New York across a daylight-saving change there, whatever the invitee's clock does meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from linktime.bookings import availability, service
from linktime.bookings.availability import SlotTaken, SlotUnavailable
from linktime.bookings.service import Invitee
from linktime.calendars import events
from linktime.conferencing import meetings
from linktime.host_lock import host_transaction
from linktime.i18n import gettext
from linktime.jobs.runner import run_briefly, run_soon
from linktime.models import Booking, EventType, WebhookEvent, new_uid
from linktime.notifications.booking_messages import queue_booked
from linktime.webhooks import events as webhooks


class SeriesUnavailable(Exception):
    """Not every session asked for is free (and the invitee wanted all or none), or none is."""

    def __init__(self, missing: list[datetime]):
        super().__init__(f"{len(missing)} session(s) not available")
        self.missing = missing


@dataclass(frozen=True)
class Session:
    start: datetime  # UTC
    free: bool


def offered(event_type: EventType) -> bool:
    return event_type.repeat_weeks > 0 and event_type.repeat_max >= 2


def count_label(event_type: EventType, count: int) -> str:
    """How the booking form offers a series: "4 weekly sessions", "3 sessions, every 2 weeks"."""
    if event_type.repeat_weeks == 1:
        return gettext("%(num)d weekly sessions", num=count)
    return gettext("%(num)d sessions, every %(weeks)d weeks", num=count, weeks=event_type.repeat_weeks)


def summary(event_type: EventType) -> str:
    """What an event type's card and booking page say of its series: "Weekly, up to 4 sessions"."""
    if not offered(event_type):
        return ""
    if event_type.repeat_weeks == 1:
        return gettext("Weekly, up to %(num)d sessions", num=event_type.repeat_max)
    return gettext("Every %(weeks)d weeks, up to %(num)d sessions", weeks=event_type.repeat_weeks,
                   num=event_type.repeat_max)


def session_starts(event_type: EventType, first: datetime, count: int) -> list[datetime]:
    """The starts of ``count`` sessions from ``first``: the same wall-clock time of the host, every
    ``repeat_weeks`` weeks (a time skipped by a clock change maps as slots do: 02:30 → 03:30)."""
    zone = ZoneInfo(event_type.host.timezone)
    local = first.astimezone(zone)
    return [datetime.combine(local.date() + timedelta(weeks=n * event_type.repeat_weeks), local.time(), zone)
            .astimezone(UTC) for n in range(count)]


def _check_count(event_type: EventType, count: int) -> None:
    if not offered(event_type) or not 2 <= count <= event_type.repeat_max:
        raise SlotUnavailable()


def plan(event_type: EventType, first: datetime, count: int) -> list[Session]:
    """Which sessions of a series are free now (reads only; the booking decides)."""
    _check_count(event_type, count)
    sessions = []
    for start in session_starts(event_type, first, count):
        try:
            availability.check_offered(event_type, start)
            sessions.append(Session(start, True))
        except (SlotTaken, SlotUnavailable):
            sessions.append(Session(start, False))
    return sessions


def book_series(event_type: EventType, first: datetime, count: int, invitee: Invitee, *, key: str | None = None,
                all_or_nothing: bool = False) -> list[Booking]:
    """Book the free sessions of a series (all of them or none when ``all_or_nothing``).

    The same form sent again returns the sessions it booked. SeriesUnavailable says which
    sessions were not free when none could be booked, or not all when all were asked for.
    """
    _check_count(event_type, count)
    if not event_type.active:
        raise SlotUnavailable()
    existing = service.by_key(key)
    if existing is not None:
        return existing.series_sessions()
    starts = session_starts(event_type, first, count)
    outside = [availability.outside_window(event_type, start) for start in starts]  # no calendar read under the lock
    with host_transaction(event_type.host_id):
        existing = service.by_key(key)
        if existing is not None:
            return existing.series_sessions()
        free, missing = [], []
        for start, busy in zip(starts, outside, strict=True):
            try:
                free.append(availability.check_slot(event_type, start, outside=busy))
            except (SlotTaken, SlotUnavailable):
                missing.append(start)
        if not free or (all_or_nothing and missing):
            raise SeriesUnavailable(missing)
        service.check_caps(event_type.host, invitee.email, new=len(free), event_type=event_type)
        series_id, booked, jobs, messages = new_uid(), [], [], []
        for number, slot in enumerate(free, 1):
            booking = service.new_booking(event_type, slot, invitee, key=key if number == 1 else None,
                                           series=(series_id, number))
            booked.append(booking)
            jobs += meetings.plan_meeting(booking, event_type)
            # One confirmation, the first session's, describes the whole series.
            messages += (queue_booked(booking, event_type, confirm=number == 1) + events.plan_event(booking)
                         + webhooks.queue_event(booking, WebhookEvent.CREATED))
    run_briefly(jobs)
    run_soon(messages)
    return booked
