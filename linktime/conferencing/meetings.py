"""Zoom meetings for bookings: planned in the booking's transaction, made real by a job.

The job ``meeting.sync`` compares what the meeting should be with what Zoom was last told and
does the one call that closes the gap: create, move (PATCH), or delete. It is idempotent, so a
retry after any failure is safe, and a meeting that has a Zoom id is never created twice.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from linktime import audit
from linktime.conferencing.zoom import service as zoom
from linktime.conferencing.zoom.client import (
    ZoomError, ZoomGrantError, ZoomNotFound, ZoomRateLimited, ZoomUnavailable, meeting_payload,
)
from linktime.extensions import db
from linktime.formatting import format_when
from linktime.jobs.outbox import GiveUp, Retry, enqueue, handler
from linktime.notifications.booking_messages import queue_link_followups
from linktime.models import Booking, BookingStatus, EventType, Job, Location, Meeting, MeetingStatus, User, now_utc


def _sync_job(meeting: Meeting) -> Job | None:
    return enqueue("meeting.sync", meeting_id=meeting.id, dedupe_key=f"meeting-sync:{meeting.uid}")


def _shared_meeting(event_type: EventType, start: datetime) -> Meeting | None:
    """The meeting of a group slot that already has attendees."""
    return db.session.scalar(
        select(Meeting).join(Booking, Booking.meeting_id == Meeting.id).where(
            Booking.event_type_id == event_type.id, Booking.start == start,
            Booking.status == BookingStatus.CONFIRMED, Meeting.status != MeetingStatus.CANCELLED,
        ).limit(1)
    )


def _overlap_warning(meeting: Meeting) -> str:
    """One Zoom account hosts one meeting at a time: warn when a shared account is double-booked."""
    connection = meeting.connection
    if connection is None or not connection.is_workspace:
        return ""
    other = db.session.scalar(
        select(Meeting).where(
            Meeting.connection_id == connection.id, Meeting.id != meeting.id,
            Meeting.status.in_([MeetingStatus.PENDING, MeetingStatus.CREATED]),
            Meeting.start < meeting.end, Meeting.end > meeting.start,
        ).limit(1)
    )
    if other is None:
        return ""
    return (f"The team Zoom account {connection.email} already hosts another meeting at this time; "
            "Zoom runs one meeting at a time per account.")


def plan_meeting(booking: Booking, event_type: EventType) -> Job | None:
    """In the booking transaction: give a Zoom booking its meeting and queue the Zoom call."""
    if event_type.location != Location.ZOOM:
        return None
    if event_type.seats > 1 and (shared := _shared_meeting(event_type, booking.start)) is not None:
        booking.meeting = shared
        in_use = shared.status in (MeetingStatus.PENDING, MeetingStatus.CREATED)
        return _sync_job(shared) if in_use else None  # the topic counts the attendees
    connection = zoom.connection_for(booking.host_id)
    meeting = Meeting(host_id=booking.host_id, start=booking.start, end=booking.end,
                      connection_id=connection.id if connection else None)
    meeting.connection = connection
    if connection is None:
        meeting.status = MeetingStatus.NO_CONNECTION.value
        meeting.last_error = "Zoom was not connected when this booking was made."
    elif connection.needs_attention:
        meeting.status = MeetingStatus.FAILED.value
        meeting.last_error = "Zoom needs to be reconnected: " + connection.attention_reason
    booking.meeting = meeting
    db.session.add(meeting)
    db.session.flush()
    meeting.warning = _overlap_warning(meeting)
    return _sync_job(meeting) if meeting.status == MeetingStatus.PENDING else None


def release_meeting(booking: Booking) -> Job | None:
    """In the cancel transaction: delete the meeting at Zoom once nobody is left in it."""
    meeting = booking.meeting
    if meeting is None or meeting.status == MeetingStatus.CANCELLED:
        return None
    if any(b.id != booking.id and b.status == BookingStatus.CONFIRMED for b in meeting.bookings):
        return _sync_job(meeting) if meeting.status == MeetingStatus.CREATED else None  # new topic count
    if meeting.zoom_meeting_id is None:
        meeting.status = MeetingStatus.CANCELLED.value  # nothing at Zoom to delete
        return None
    return _sync_job(meeting)


def move_meeting(booking: Booking, event_type: EventType) -> Job | None:
    """In the reschedule transaction (booking already at its new time): move its meeting."""
    meeting = booking.meeting
    if meeting is None:
        return plan_meeting(booking, event_type)
    if any(b.id != booking.id and b.status == BookingStatus.CONFIRMED for b in meeting.bookings):
        booking.meeting = None  # the others keep the old slot's meeting
        return plan_meeting(booking, event_type)
    meeting.start, meeting.end = booking.start, booking.end
    if meeting.status in (MeetingStatus.PENDING, MeetingStatus.CREATED):
        return _sync_job(meeting)
    return None


def retry_meeting(meeting: Meeting) -> Job | None:
    """The host's Retry button: try Zoom again with the host's current connection."""
    connection = zoom.connection_for(meeting.host_id)
    if connection is None:
        meeting.status = MeetingStatus.NO_CONNECTION.value
        meeting.last_error = "Zoom is not connected. Connect it in Settings → Integrations, then retry."
        return None
    meeting.connection_id, meeting.connection = connection.id, connection
    meeting.status, meeting.last_error = MeetingStatus.PENDING.value, ""
    return _sync_job(meeting)


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _next_gmt_midnight() -> datetime:
    tomorrow = now_utc().date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 1), UTC)


def _fail(meeting: Meeting, message: str) -> None:
    meeting.status, meeting.last_error = MeetingStatus.FAILED.value, message
    when = format_when(meeting.start, db.session.get(User, meeting.host_id).timezone)
    audit.record(meeting.host_id, "meeting.failed", f"Could not create the Zoom meeting of {when}: {message}")
    db.session.commit()


def on_sync_gave_up(meeting_id: int, error: str) -> None:
    """After the last retry: the meeting is failed, visible with a Retry button."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is not None and meeting.status == MeetingStatus.PENDING:
        _fail(meeting, error or "Zoom could not be reached.")


@handler("meeting.sync", on_give_up=on_sync_gave_up)
def sync_meeting(meeting_id: int) -> None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.NO_CONNECTION):
        return
    attendees = [b for b in meeting.bookings if b.status == BookingStatus.CONFIRMED]
    meeting.attempts += 1
    if meeting.connection_id is None:
        if not attendees or meeting.zoom_meeting_id is None:
            meeting.status = (MeetingStatus.CANCELLED if not attendees else MeetingStatus.NO_CONNECTION).value
            meeting.last_error = "" if not attendees else "Zoom was disconnected before the meeting could be made."
        db.session.commit()  # after a disconnect, meetings at Zoom are left as they are
        return
    host_zone = db.session.get(User, meeting.host_id).timezone
    connection_id, when = meeting.connection_id, format_when(meeting.start, host_zone)
    try:
        if not attendees:
            zoom_id = meeting.zoom_meeting_id
            db.session.commit()
            zoom.call_zoom(connection_id, lambda api: api.delete_meeting(zoom_id))
            meeting.status, meeting.last_error = MeetingStatus.CANCELLED.value, ""
            audit.record(meeting.host_id, "meeting.deleted", f"Deleted the Zoom meeting of {when}.")
            db.session.commit()
            return
        first = attendees[0]
        payload = meeting_payload(
            title=first.title, invitee_name=first.invitee_name, start=meeting.start,
            duration_minutes=int((meeting.end - meeting.start).total_seconds() // 60),
            timezone=host_zone, notes=first.notes, attendees=len(attendees),
        )
        zoom_id, fingerprint = meeting.zoom_meeting_id, _fingerprint(payload)
        if zoom_id is not None and meeting.synced_hash == fingerprint:
            meeting.status, meeting.last_error = MeetingStatus.CREATED.value, ""
            db.session.commit()
            return
        db.session.commit()  # no transaction stays open during the Zoom call
        if zoom_id is not None:
            try:
                zoom.call_zoom(connection_id, lambda api: api.update_meeting(zoom_id, payload))
                meeting.synced_hash, meeting.status, meeting.last_error = fingerprint, MeetingStatus.CREATED.value, ""
                audit.record(meeting.host_id, "meeting.updated", f"Moved the Zoom meeting {zoom_id} to {when}.")
                db.session.commit()
                return
            except ZoomNotFound:
                pass  # deleted at Zoom in the meantime: make a new one
        created = zoom.call_zoom(connection_id, lambda api: api.create_meeting(payload))
        meeting = db.session.get(Meeting, meeting_id, populate_existing=True)
        meeting.zoom_meeting_id = created.id
        meeting.join_url = created.join_url
        meeting.password = created.password
        meeting.synced_hash, meeting.status, meeting.last_error = fingerprint, MeetingStatus.CREATED.value, ""
        audit.record(meeting.host_id, "meeting.created", f"Created the Zoom meeting {created.id} for {when}.")
        for booking in meeting.bookings:
            db.session.refresh(booking)  # see a confirmation that went out meanwhile
        queue_link_followups(meeting)
        db.session.commit()
    except zoom.NotConnected:
        meeting = db.session.get(Meeting, meeting_id, populate_existing=True)
        meeting.connection_id = None
        meeting.status = MeetingStatus.NO_CONNECTION.value
        meeting.last_error = "Zoom was disconnected before the meeting could be made."
        db.session.commit()
    except ZoomRateLimited as exc:
        _note(meeting_id, exc.message)
        at = _next_gmt_midnight() if exc.daily else (
            now_utc() + timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None)
        raise Retry(exc.message, at=at) from None
    except ZoomUnavailable as exc:
        _note(meeting_id, exc.message)
        at = now_utc() + timedelta(seconds=exc.retry_after) if exc.retry_after else None
        raise Retry(exc.message, at=at) from None
    except ZoomGrantError as exc:
        _fail(db.session.get(Meeting, meeting_id), "Zoom needs to be reconnected: " + exc.message)
        raise GiveUp(exc.message) from None
    except ZoomError as exc:
        _fail(db.session.get(Meeting, meeting_id), exc.message)
        raise GiveUp(exc.message) from None


def _note(meeting_id: int, message: str) -> None:
    db.session.rollback()
    meeting = db.session.get(Meeting, meeting_id)
    meeting.last_error = message
    db.session.commit()

