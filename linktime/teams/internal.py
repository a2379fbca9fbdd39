"""Internal meetings: a host picks teammates (and any outside guests), sees the times at which all
of them are free, and books; everyone gets the meeting link by email and in their calendar.

An internal meeting is a booking with no event type and no invitee: its host, its teammates as
co-hosts (``BookingHost``) and its guests' addresses. Whoever takes part is free on weekdays from
9 to 5 in their own time zone (their days out of office aside), and busy with their bookings and
the events of their calendars; the meeting goes through the same reconcilers as any booking.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from linktime.bookings import service
from linktime.bookings.availability import days_away, free_hosts, slots_with, team_outside
from linktime.calendars import events
from linktime.conferencing import meetings
from linktime.extensions import db
from linktime.host_lock import host_transaction
from linktime.jobs.runner import run_briefly, run_soon
from linktime.models import Booking, BookingHost, EventType, Location, Scheduling, User, WebhookEvent, now_utc
from linktime.notifications.booking_messages import queue_booked
from linktime.scheduling import Slot
from linktime.webhooks import events as webhooks

WORKING_DAY = {str(day): [["09:00", "17:00"]] for day in range(5)}  # Monday to Friday, 9 to 5
HORIZON_DAYS = 21
MAX_GUESTS = 10


def terms(host: User, title: str, minutes: int, location: str, detail: str = "") -> EventType:
    """What an internal meeting is held to, in an event type's shape — never saved: the hours,
    rules, reminders (an hour before, everyone) and place the booking code reads."""
    return EventType(
        host_id=host.id, title=title.strip(), slug="", description="", duration_minutes=minutes,
        location=Location(location).value, location_detail=detail.strip(), active=True, weekly_hours=WORKING_DAY,
        date_overrides={}, min_notice_minutes=60, buffer_before_minutes=0, buffer_after_minutes=0, max_per_day=None,
        horizon_days=HORIZON_DAYS, increment_minutes=30, seats=1, repeat_weeks=0, repeat_max=4,
        reminder_offsets=[60], remind_host=True, sms_reminders=False, sms_countries="",
        scheduling=Scheduling.COLLECTIVE.value,
    )


def free_times(meeting: EventType, people: list[User], start: datetime | None = None) -> list[Slot]:
    """The times of the next weeks at which every one of ``people`` is free."""
    start = start or now_utc()
    end = start + timedelta(days=HORIZON_DAYS)
    away = days_away([person.id for person in people], start, end)
    return slots_with(meeting, people, start, end, away)


def book_internal(host: User, teammates: list[User], guests: list[str], meeting: EventType, start: datetime,
                  notes: str = "") -> Booking:
    """Book the internal meeting at ``start`` if everyone is free then (SlotTaken otherwise), under
    the locks of everyone taking part."""
    people = [host, *teammates]
    outside = team_outside(meeting, start, people)  # read before the locks, never under them
    with host_transaction(*(person.id for person in people)):
        slot = free_hosts(meeting, start, outside=outside, hosts=people)[0][1]
        service.check_caps(host, None, event_type=meeting)  # its guests are emailed: bounded like bookings
        booking = service.new_booking(meeting, slot, service.Invitee(name=host.name, email="", timezone=host.timezone,
                                                                     notes=notes), key=None, host=host)
        booking.internal, booking.guests = True, guests[:MAX_GUESTS]
        booking.co_hosts = [BookingHost(user_id=teammate.id) for teammate in teammates]
        db.session.flush()
        jobs = meetings.plan_meeting(booking, meeting)
        messages = (queue_booked(booking, meeting) + events.plan_event(booking)
                    + webhooks.queue_event(booking, WebhookEvent.CREATED))
    run_briefly(jobs)
    run_soon(messages)
    return booking
