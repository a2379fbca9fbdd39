"""The event reconciler: each booking's event in the host's destination calendar follows it.

The same shape as the meeting reconciler (``conferencing/meetings.py``): in the booking's
transaction, under the host lock, the booking service says what the event should be — present,
with the booking's current details, or absent — and raises its ``desired_revision``; the job
``calendar_event.sync`` writes that to the calendar and records the revision it reached, going
round again when the booking changed during a call. Writes are keyed by the booking's invite UID
(a CalDAV resource name, a Google event id, an Outlook transaction id), so a retried write — its
answer lost — replaces the event instead of making a second one.

The event is read from the booking when it is written, so it always says the current time and
meeting link (a Zoom link made after the booking is written in by another pass).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from linktime.calendars.base import (
    CalendarClient,
    CalendarError,
    Changed,
    EventDetails,
    Person,
    Unreachable,
    WrongPassword,
)
from linktime.calendars.busy import READINGS_OUTLIVE
from linktime.calendars.clients import with_client
from linktime.conferencing.base import provider_for
from linktime.extensions import db
from linktime.jobs import sync_lease
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import GiveUp, Retry, enqueue
from linktime.models import (
    Booking,
    BookingHost,
    BookingStatus,
    CalendarConnection,
    CalendarEvent,
    ConnectedCalendar,
    ConnectionStatus,
    DesiredState,
    EventStatus,
    Job,
    now_utc,
)
from linktime.notifications import ics
from linktime.urls import public_url

log = logging.getLogger(__name__)
SYNC = JobKind.CALENDAR_EVENT_SYNC


# ---------------------------------------------------------------------------- planning (host lock)


def _sync_job(event: CalendarEvent) -> Job | None:
    return enqueue(SYNC, event_id=event.id, dedupe_key=f"calendar-event-sync:{event.id}")


def _want(event: CalendarEvent, state: DesiredState) -> Job | None:
    event.desired_state = state.value
    event.desired_revision = CalendarEvent.desired_revision + 1  # in SQL: never lost to a stale read
    event.status = EventStatus.PENDING.value
    db.session.flush()
    return _sync_job(event)


def destination(host_id: int) -> ConnectedCalendar | None:
    """The calendar the host chose for new bookings, if any."""
    return db.session.scalar(
        select(ConnectedCalendar).join(ConnectedCalendar.connection)
        .where(CalendarConnection.user_id == host_id, ConnectedCalendar.is_destination.is_(True)).limit(1))


def plan_event(booking: Booking) -> list[Job | None]:
    """In the booking transaction: the booking's event in the destination calendar, if there is
    one, and in each of its other hosts' (a collective booking's). A seat of a group slot joins
    the slot's event (rewritten with it among the attendees)."""
    return _plan_host_event(booking) + [job for co in booking.co_hosts for job in _plan_co_host_event(booking, co)]


def _plan_co_host_event(booking: Booking, co_host: BookingHost) -> list[Job | None]:
    calendar = destination(co_host.user_id)
    if calendar is None or co_host.calendar_event is not None:
        return []
    event = CalendarEvent(host_id=co_host.user_id, calendar_id=calendar.id, uid=ics.uid(booking))
    co_host.calendar_event = event
    db.session.add(event)
    db.session.flush()
    return [_sync_job(event)]


def _co_host_events(booking: Booking) -> list[CalendarEvent]:
    return [co.calendar_event for co in booking.co_hosts
            if co.calendar_event is not None and co.calendar_event.desired_state != DesiredState.ABSENT]


def _plan_host_event(booking: Booking) -> list[Job | None]:
    calendar = destination(booking.host_id)
    if calendar is None:
        return []
    meetings = provider_for(booking.location)
    if meetings is not None and meetings.is_event_in(calendar.connection.provider):
        return []  # its meeting's own event is in that calendar already, with the link (Meet in Google)
    shared = _slot_event(booking)
    if shared is not None:
        booking.calendar_event = shared
        return [_want(shared, DesiredState.PRESENT)]
    event = CalendarEvent(host_id=booking.host_id, calendar_id=calendar.id, uid=ics.uid(booking))
    booking.calendar_event = event
    db.session.add(event)
    db.session.flush()
    return [_sync_job(event)]


def _slot_event(booking: Booking) -> CalendarEvent | None:
    """The event of the group slot this booking takes a seat in, while it has other attendees."""
    if booking.event_type is None or booking.event_type.seats <= 1:
        return None
    return db.session.scalar(
        select(CalendarEvent).join(Booking, Booking.calendar_event_id == CalendarEvent.id).where(
            Booking.event_type_id == booking.event_type_id, Booking.start == booking.start, Booking.id != booking.id,
            Booking.status == BookingStatus.CONFIRMED, CalendarEvent.desired_state == DesiredState.PRESENT,
            CalendarEvent.calendar_id.is_not(None)).limit(1))


def _others(event: CalendarEvent, booking: Booking) -> list[Booking]:
    return [b for b in event.bookings if b.id != booking.id and b.status == BookingStatus.CONFIRMED]


def release_event(booking: Booking) -> list[Job | None]:
    """In the cancel transaction: the event goes, or (a group slot with seats still taken) is
    rewritten without this attendee."""
    gone = [_want(event, DesiredState.ABSENT) for event in _co_host_events(booking)]
    event = booking.calendar_event
    if event is None or event.desired_state == DesiredState.ABSENT:
        return gone
    return [_want(event, DesiredState.PRESENT if _others(event, booking) else DesiredState.ABSENT), *gone]


def follow_booking(booking: Booking) -> list[Job | None]:
    """After a reschedule, or a change to what the event says (a meeting link made): written again.
    A seat moved out of a group slot leaves the slot's event (rewritten without it) for its own."""
    co_hosts = [_want(event, DesiredState.PRESENT) for event in _co_host_events(booking)]
    if booking.status == BookingStatus.CONFIRMED:
        co_hosts += [job for co in booking.co_hosts for job in _plan_co_host_event(booking, co)]
    return _follow_host_event(booking) + co_hosts


def _follow_host_event(booking: Booking) -> list[Job | None]:
    event = booking.calendar_event
    if event is None:
        return _plan_host_event(booking) if booking.status == BookingStatus.CONFIRMED else []
    if event.desired_state == DesiredState.ABSENT:
        return []
    others = _others(event, booking)
    if others and others[0].start != booking.start:
        booking.calendar_event = None
        db.session.flush()
        return [_want(event, DesiredState.PRESENT), *_plan_host_event(booking)]
    return [_want(event, DesiredState.PRESENT)]


def hand_over(booking: Booking, former_host_id: int) -> list[Job | None]:
    """In the transaction that hands the booking to another host (``booking.host_id`` the new one):
    its event leaves the former host's calendar and is written into the new host's."""
    event = booking.calendar_event
    jobs: list[Job | None] = []
    if event is not None and event.host_id == former_host_id:
        event.former_booking_id = booking.id  # what its removal reads
        booking.calendar_event = None
        db.session.flush()
        jobs.append(_want(event, DesiredState.ABSENT))
    return jobs + _plan_host_event(booking)


def resume(connection_id: int) -> list[Job | None]:
    """After an account is connected again: its upcoming bookings' events that failed are written."""
    on = (Booking.status == BookingStatus.CONFIRMED, Booking.end > now_utc())
    upcoming = select(Booking.calendar_event_id).where(*on).union(
        select(BookingHost.calendar_event_id).join(Booking, Booking.id == BookingHost.booking_id).where(*on))
    failed = db.session.scalars(
        select(CalendarEvent).join(ConnectedCalendar, ConnectedCalendar.id == CalendarEvent.calendar_id)
        .where(ConnectedCalendar.connection_id == connection_id, CalendarEvent.status == EventStatus.FAILED,
               CalendarEvent.desired_state == DesiredState.PRESENT, CalendarEvent.id.in_(upcoming)))
    return [_want(event, DesiredState.PRESENT) for event in list(failed)]


# ---------------------------------------------------------------------------- the sync job


def details_for(event: CalendarEvent) -> EventDetails:
    """What the event says: its booking, or its group slot with every seat's invitee."""
    attendees = event.attendees
    booking, host = attendees[0], attendees[0].host
    manage = public_url("bookings.dashboard")
    people = tuple(Person(b.invitee_email, b.invitee_name) for b in attendees if b.invitee_email)
    if len(attendees) == 1:
        summary, sequence = ics.summary(booking), booking.sequence
        people += tuple(Person(co.user.email, co.user.name) for co in booking.co_hosts)
        people += tuple(Person(guest, guest) for guest in booking.guest_list)
        text = ics.description(booking, manage=manage, for_host=True)
    else:  # its revision rises with every seat taken or given back
        summary = f"{booking.title}: {host.name} and {len(attendees)} attendees"
        sequence = max(event.desired_revision, *(b.sequence for b in attendees))
        text = "\n".join([f"{booking.title} with {host.name} and {len(attendees)} attendees:",
                          *(f"- {b.invitee_name} <{b.invitee_email}>" for b in attendees),
                          "", ics.description(booking, manage=manage, for_host=True).split("\n", 2)[-1]])
    return EventDetails(
        uid=event.uid, sequence=sequence, summary=summary,
        start=booking.start, end=booking.end, timezone=host.timezone, location=ics.where(booking),
        description=text, url=ics.join_url(booking) or manage,
        organizer=Person(host.email, host.name), attendees=people,
    )


def on_sync_gave_up(event_id: int, error: str) -> None:
    event = db.session.get(CalendarEvent, event_id)
    if event is not None and event.status == EventStatus.PENDING:
        event.status, event.last_error = EventStatus.FAILED.value, error or "the calendar could not be reached."


def sync_event(event_id: int) -> None:
    """Bring one booking's event to its desired state, going round while the booking changes."""
    sync_lease.sync(CalendarEvent, event_id, _sync_once, "calendar event")


def _sync_once(event_id: int, token: str) -> bool:
    """One pass. True when the desired revision moved during it, so another pass is due."""
    event = sync_lease.held(CalendarEvent, event_id, token)
    if event is None or event.in_sync:
        db.session.commit()
        return False
    revision, present = event.desired_revision, event.desired_state == DesiredState.PRESENT

    def reached(values: dict[str, Any]) -> bool:
        return sync_lease.record(CalendarEvent, event_id, token, revision, values)

    calendar = event.calendar
    sent_before = event.remote_id is not None or event.write_sent_at is not None
    if calendar is None:  # its account was disconnected: what is there stays there
        return reached(_left_in_place(event, present, sent_before))
    if not present and not sent_before:
        return reached(dict(status=EventStatus.REMOVED.value, last_error=""))
    connection = calendar.connection
    calendar_remote, remote_id, sent_at = calendar.remote_id, event.remote_id, event.write_sent_at
    details = details_for(event)
    event.attempts += 1
    # From now on the calendar may hold it at the new time, and no longer at the old one.
    _release(event, keep=(details.start, details.end) if present else None)
    if present:
        event.write_sent_at = now_utc()
        event.written_start, event.written_end = details.start, details.end
    db.session.commit()  # no transaction stays open during the calendar's calls
    try:
        record = _write(connection, event_id, token, calendar_remote, details, remote_id, present)
        if not present:  # gone now: readings made before still hold it, for a while
            record["released"] = _released_now(event.released, (details.start, details.end))
            record["released_at"] = now_utc()
        if not present and remote_id is None and sent_at is not None:
            _removal_settled(sent_at)
    except Unreachable as exc:
        _note(event_id, token, exc.message)
        raise Retry(exc.message, at=now_utc() + timedelta(seconds=exc.retry_after)
                    if exc.retry_after is not None else None) from None
    except CalendarError as exc:  # a refused password or a broken server: retrying cannot help
        if (event := sync_lease.held(CalendarEvent, event_id, token)) is not None:
            event.status, event.last_error = EventStatus.FAILED.value, exc.message
            event.synced_revision = max(event.synced_revision, revision)
            if isinstance(exc, WrongPassword):
                _needs_attention(connection.id, exc.message)
        db.session.commit()
        raise GiveUp(exc.message) from None
    return reached(record)


def _left_in_place(event: CalendarEvent, present: bool, sent_before: bool) -> dict[str, Any]:
    """What is recorded of an event whose calendar account was disconnected: nothing is changed there."""
    if present:
        return dict(status=EventStatus.WRITTEN.value if event.remote_id else EventStatus.FAILED.value,
                    last_error="The calendar was disconnected, so this event can no longer be changed there.")
    return dict(status=EventStatus.REMOVED.value,
                last_error="The calendar was disconnected, so the event was left in it." if sent_before else "")


def _released_now(released: list[list[str]] | None, span: tuple[datetime, datetime]) -> list[list[str]]:
    """The spans the calendar held the event at lately, with ``span`` left now."""
    now = now_utc()
    kept = [entry for entry in released or [] if datetime.fromisoformat(entry[2]) > now - READINGS_OUTLIVE]
    return [*kept, [span[0].isoformat(), span[1].isoformat(), now.isoformat()]]


def _release(event: CalendarEvent, *, keep: tuple[datetime, datetime] | None) -> None:
    """The time the event was last written at is left (unless it is ``keep``): remembered, so a
    reading made before, in any process, never counts the event as busy there."""
    was = (event.written_start, event.written_end)
    if was[0] is None or was[1] is None or was == keep:
        return
    event.released, event.released_at = _released_now(event.released, (was[0], was[1])), now_utc()


def _removal_settled(sent_at: datetime) -> None:
    """After a write whose answer was lost, the event is removed once more when the calendar has had
    longer than our timeout to act on that write: a slow one may land after the first removal."""
    settled = sent_at + timedelta(seconds=2 * float(current_app.config.get("CALENDAR_TIMEOUT", 10)))
    if now_utc() < settled:
        raise Retry("removing the event once more, in case a slow write lands after the first removal",
                    at=settled, counts=False)


CHANGED_TRIES = 3
REMOVED = dict(
    status=EventStatus.REMOVED.value,
    last_error="",
    remote_id=None,
    write_sent_at=None,
    written_start=None,
    written_end=None,
)  # conditional writes in one pass, each against the version the last one found


def _write(connection: CalendarConnection, event_id: int, token: str, calendar_remote: str, details: EventDetails,
           remote_id: str | None, present: bool) -> dict[str, Any]:
    """The event written or removed at the provider, fenced by the claim before each call; what to record.

    A conditional write that finds another version (``Changed``: an earlier create that landed,
    an edit in the calendar) is made again against that version, after the claim is checked once
    more, so a runner past its lease never overwrites a later write."""

    for _ in range(CHANGED_TRIES):
        sync_lease.fence(CalendarEvent, event_id, token)
        try:
            if present:
                def put(client: CalendarClient, at: str | None = remote_id) -> str:
                    return client.put_event(calendar_remote, details, at)

                return dict(status=EventStatus.WRITTEN.value, last_error="", remote_id=with_client(connection, put),
                            written_start=details.start, written_end=details.end)

            def delete(client: CalendarClient, at: str | None = remote_id) -> None:
                client.delete_event(calendar_remote, details.uid, at)

            with_client(connection, delete)
            return dict(REMOVED)
        except Changed as exc:
            if exc.remote_id is None and not present:  # gone already: removed
                return dict(REMOVED)
            remote_id = exc.remote_id
    raise Unreachable("the event kept changing in the calendar while LinkTime wrote it")


def _needs_attention(connection_id: int, reason: str) -> None:
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is not None:
        connection.status, connection.attention_reason = ConnectionStatus.NEEDS_ATTENTION.value, reason


def _note(event_id: int, token: str, message: str) -> None:
    db.session.rollback()
    if (event := sync_lease.held(CalendarEvent, event_id, token)) is not None:
        event.last_error = message
    db.session.commit()
