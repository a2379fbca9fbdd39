"""The meeting sync job (``meeting.sync``): brings one meeting to the state its booking wants,
through the provider, exactly once (see meetings.py for how that state is set)."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from linktime import audit
from linktime.calendars import events
from linktime.conferencing import base
from linktime.conferencing.meetings import account_of, kept_link, left_on_account, took_over
from linktime.extensions import db
from linktime.formatting import format_when
from linktime.host_lock import lock_host
from linktime.jobs import sync_lease
from linktime.jobs.outbox import GiveUp, Retry
from linktime.models import (
    BookingStatus,
    DesiredState,
    Meeting,
    MeetingStatus,
    User,
    WebhookEvent,
    now_utc,
)
from linktime.notifications import ics
from linktime.notifications.booking_messages import queue_link_followups, queue_new_link
from linktime.urls import public_url
from linktime.webhooks import events as webhooks

log = logging.getLogger(__name__)


def _details(meeting: Meeting, zone: str) -> base.MeetingDetails:
    attendees = [b for b in meeting.served if b.status == BookingStatus.CONFIRMED] or meeting.served
    topic, agenda, description = "", "", ""
    manage = public_url("bookings.dashboard")
    if len(attendees) == 1:
        topic, agenda = f"{attendees[0].title} with {attendees[0].invitee_name}", attendees[0].notes
        description = ics.description(attendees[0], manage=manage)
    elif attendees:
        topic = f"{attendees[0].title} ({len(attendees)} attendees)"
        description = "\n".join([f"{topic}:", *(f"- {b.invitee_name}" for b in attendees), "",
                                 f"Change or cancel: {manage}"])
    return base.MeetingDetails(
        topic=topic, start=meeting.start, timezone=zone, agenda=agenda, marker=meeting.uid,
        duration_minutes=int((meeting.end - meeting.start).total_seconds() // 60), description=description,
    )


def _next_gmt_midnight() -> datetime:
    tomorrow = now_utc().date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 1), UTC)


def on_sync_gave_up(meeting_id: int, error: str) -> None:
    """After the last retry: a meeting to make is failed, visible with a Retry button; one to
    delete says it may still be at the provider (never "could not make")."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != MeetingStatus.PENDING:
        return
    if meeting.desired_state == DesiredState.ABSENT:
        _left_behind(meeting, error or "the provider could not be reached.")
    else:
        _fail(meeting, error or "the provider could not be reached.")


def _host_zone(meeting: Meeting) -> str:
    host = db.session.get(User, meeting.host_id)
    return host.timezone if host is not None else "UTC"


def _left_behind(meeting: Meeting, message: str) -> None:
    label = meeting.provider_kind.label
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.last_error = f"{label} could not be reached to delete the meeting ({message}); delete it in {label}."
    when = format_when(meeting.start, _host_zone(meeting))
    audit.record(meeting.host_id, "meeting.left", f"Could not delete the {label} meeting of {when}: {message}")
    audit.note_meeting(meeting, meeting.last_error)


def _fail(meeting: Meeting, message: str) -> None:
    meeting.status, meeting.last_error = MeetingStatus.FAILED.value, message
    when = format_when(meeting.start, _host_zone(meeting))
    audit.record(meeting.host_id, "meeting.failed",
                 f"Could not make the {meeting.provider_kind.label} meeting of {when}: {message}")
    audit.note_meeting(meeting, f"{meeting.provider_kind.label} meeting not made: {message} (Retry is on the booking).")


def sync_meeting(meeting_id: int) -> None:
    """Bring one meeting to its desired state, going round while the booking changes meanwhile."""
    sync_lease.sync(Meeting, meeting_id, _sync_once, "meeting")


def _sync_once(meeting_id: int, token: str) -> bool:
    """One pass. True when the desired revision moved during it, so another pass is due."""
    meeting = sync_lease.held(Meeting, meeting_id, token)
    if meeting is None or meeting.in_sync:
        db.session.commit()
        return False
    provider = sync_lease.Fenced(base.provider_for(meeting.provider), Meeting, meeting_id, token)
    host_zone = _host_zone(meeting)
    revision, state, reached = meeting.desired_revision, meeting.desired_state, meeting.synced_revision
    details = _details(meeting, host_zone)
    connection = account_of(provider, meeting)
    external_id, sent_at = meeting.external_id, meeting.create_sent_at
    meeting.attempts += 1
    db.session.commit()  # no transaction stays open during the provider's calls
    label, when = provider.location.label, format_when(details.start, host_zone)
    record: dict[str, Any] = {}
    try:
        if state == DesiredState.ABSENT:
            record = _make_absent(provider, connection, external_id, sent_at, details, label, when)
        elif connection is None:
            record = _unconnected(external_id, label)
        elif not connection.usable:
            record = dict(status=MeetingStatus.FAILED.value, last_error=connection.problem)
        else:
            record = _make_present(meeting_id, token, provider, connection, external_id, sent_at,
                                   details, label, when)
    except base.NotConnected:
        record = dict(account_id=None, **_unconnected(external_id, label))
    except base.Unavailable as exc:  # whichever call it was, a create sent earlier stays "sent"
        _note(meeting_id, token, exc.message)
        if isinstance(exc, base.RateLimited) and exc.daily:
            raise Retry(exc.message, at=_next_gmt_midnight()) from None
        if exc.retry_after is not None:  # the provider said when: a wait, not a failed attempt
            raise Retry(exc.message, at=now_utc() + timedelta(seconds=exc.retry_after), counts=False) from None
        raise Retry(exc.message) from None
    except base.ProviderError as exc:  # reconnect needed, or refused: retrying cannot help
        message = (
            f"{label} needs to be reconnected: {exc.message}" if isinstance(exc, base.NeedsReconnect) else exc.message
        )
        if (meeting := sync_lease.held(Meeting, meeting_id, token)) is not None:
            if meeting.desired_state == DesiredState.PRESENT:
                _fail(meeting, message)
            else:
                meeting.status, meeting.last_error = MeetingStatus.CANCELLED.value, message
            meeting.synced_revision = revision
        db.session.commit()
        raise GiveUp(message) from None
    if record.pop("waits", False):  # its account is gone: reattach() does this revision when it is back
        _record(meeting_id, token, reached, record)
        return False
    return _record(meeting_id, token, revision, record)


def _unconnected(external_id: str | None, label: str) -> dict[str, Any]:
    if external_id is not None:  # made before a disconnect: it stays, and so does its link
        return dict(status=MeetingStatus.CREATED.value, last_error=kept_link(label), waits=True)
    return dict(status=MeetingStatus.NO_CONNECTION.value,
                last_error=f"{label} was disconnected before the meeting could be made.")


def _absence_settled(provider: base.ConferencingProvider, sent_at: datetime) -> None:
    """After an uncertain create, finding nothing means nothing was made only once the provider has
    had longer than our timeout to act on it (a slow create may land after our look)."""
    settled = sent_at + provider.settle_time()
    if now_utc() < settled:
        raise Retry(f"waiting to see whether {provider.location.label} made the meeting", at=settled, counts=False)


def _make_absent(provider: Any, connection: base.Connection | None, external_id: str | None,
                 sent_at: datetime | None, details: base.MeetingDetails, label: str, when: str) -> dict[str, Any]:
    if external_id is None and sent_at is None:
        return dict(status=MeetingStatus.CANCELLED.value, last_error="")
    if connection is None:
        return dict(status=MeetingStatus.CANCELLED.value, waits=external_id is not None,
                    last_error=left_on_account(label))
    if external_id is None and sent_at is not None:  # a create went out, its answer lost: find what it made
        if not connection.can_find:
            return dict(status=MeetingStatus.CANCELLED.value, create_sent_at=None, create_unverified=True,
                        last_error="")
        found = provider.find(connection.id, details)
        if found is None:
            _absence_settled(provider, sent_at)
            return dict(status=MeetingStatus.CANCELLED.value, create_sent_at=None, last_error="")
        external_id = found.id
    provider.delete(connection.id, external_id)
    return dict(status=MeetingStatus.CANCELLED.value, create_sent_at=None, last_error="",
                audit=("meeting.deleted", f"Deleted the {label} meeting of {when}."))


def _make_present(meeting_id: int, token: str, provider: Any, connection: base.Connection,
                  external_id: str | None, sent_at: datetime | None, details: base.MeetingDetails,
                  label: str, when: str) -> dict[str, Any]:
    if external_id is not None:
        try:
            provider.update(connection.id, external_id, details)
            return dict(status=MeetingStatus.CREATED.value, last_error="",
                        audit=("meeting.updated", f"Updated the {label} meeting {external_id} for {when}."))
        except base.NotFound:
            pass  # deleted at the provider in the meantime: make a new one
    found, unverified = None, False
    if sent_at is not None:  # the answer to an earlier create was lost
        if connection.can_find:
            found = provider.find(connection.id, details)
            if found is None:
                _absence_settled(provider, sent_at)
        else:
            unverified = True
    if found is not None:
        provider.update(connection.id, found.id, details)  # it was made for an earlier revision
        made, verb = found, "Found and kept"
    else:
        _note(meeting_id, token, "", sent_at=now_utc(), unverified=unverified)
        try:
            made, verb = provider.create(connection.id, details), "Created"
        except base.ProviderError as exc:
            if not (isinstance(exc, base.Unavailable) and exc.uncertain):  # refused: this create made nothing
                _note(meeting_id, token, "", sent_at=None)
            elif exc.answered:  # done with it, whatever it did: a look needs no waiting
                _note(meeting_id, token, "", sent_at=now_utc() - provider.settle_time())
            raise
    return dict(status=MeetingStatus.CREATED.value, last_error="", external_id=made.id, join_url=made.join_url,
                password=made.password, create_sent_at=None,
                audit=("meeting.created", f"{verb} the {label} meeting {made.id} for {when}."))


_KEEP = object()


def _note(meeting_id: int, token: str, message: str, *, sent_at: object = _KEEP, unverified: bool = False) -> None:
    """Record progress that must survive a crash: an error, or when a create went out (``sent_at``;
    None: it made nothing)."""
    db.session.rollback()
    meeting = sync_lease.held(Meeting, meeting_id, token)
    if meeting is not None:
        if message:
            meeting.last_error = message
            audit.note_meeting(
                meeting, f"{meeting.provider_kind.label} did not take a request; LinkTime tries again: {message}"
            )
        if sent_at is not _KEEP:
            meeting.create_sent_at = cast(datetime | None, sent_at)
        meeting.create_unverified = meeting.create_unverified or unverified
    db.session.commit()


def _record(meeting_id: int, token: str, revision: int, values: dict[str, Any]) -> bool:
    """Write what this pass reached; True when the booking changed meanwhile (go again)."""
    kind_detail = values.pop("audit", None)
    reached_now = values.get("status") == MeetingStatus.CREATED
    made_now = kind_detail is not None and kind_detail[0] == "meeting.created"

    def then(meeting: Meeting) -> None:
        # The link follow-ups below write the bookings: the host's lock first, as booking changes
        # take it, before this meeting's row is written (host_lock.lock_host).
        lock_host(meeting.host_id)
        if kind_detail is not None:
            audit.record(meeting.host_id, *kind_detail)
            audit.note_meeting(meeting, kind_detail[1])
        handed_over = reached_now and meeting.replaces_id is not None
        if handed_over:  # made on the new host's account: it takes the old one's place
            took_over(meeting)
        if meeting.is_created:
            for booking in meeting.bookings:
                db.session.refresh(booking)  # see a confirmation that went out meanwhile
                # Made or moved now: the host's calendar event, written meanwhile without the
                # link ("pending"), is written again with it.
                if reached_now:
                    events.follow_booking(booking)
            queue_link_followups(meeting)
            if handed_over:
                for booking in meeting.bookings:
                    queue_new_link(booking)
            if made_now or handed_over:  # a link there was not when the booking was told of
                for booking in sorted(meeting.bookings, key=lambda seat: seat.id):
                    if not booking.is_cancelled:
                        webhooks.queue_event(booking, WebhookEvent.LINK_READY)

    return sync_lease.record(Meeting, meeting_id, token, revision, values, then)
