"""The meeting reconciler: outside meetings (Zoom, …) follow their bookings through every change.

In the booking's transaction, under the host lock, the booking service says what the meeting
should be — present at the booking's time with its details, or absent — and raises the meeting's
``desired_revision``. The job ``meeting.sync`` then brings the provider to that state and records
the revision it reached. If the revision moved while a call was in flight (a cancel during the
create, a reschedule during a move), the same run goes round again; only one sync of a meeting
runs at a time (a claim with a token on the meeting row), and the job queued by the change waits
for it. A create is marked as sent before it goes out: if its answer is lost, the next pass asks
the provider for the meeting carrying our marker and adopts it, so one booking never gets two.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import or_, select

from linktime import audit
from linktime.calendars import events
from linktime.conferencing import base
from linktime.extensions import db
from linktime.formatting import format_when
from linktime.host_lock import host_transaction
from linktime.jobs import sync_lease
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import GiveUp, Retry, enqueue
from linktime.jobs.runner import run_soon
from linktime.models import (
    Booking,
    BookingStatus,
    DesiredState,
    EventType,
    Job,
    Meeting,
    MeetingStatus,
    User,
    now_utc,
)
from linktime.notifications import ics
from linktime.notifications.booking_messages import queue_link_followups
from linktime.urls import public_url

log = logging.getLogger(__name__)
SYNC = JobKind.MEETING_SYNC


# ---------------------------------------------------------------------------- planning (host lock)


def _sync_job(meeting: Meeting) -> Job | None:
    return enqueue(SYNC, meeting_id=meeting.id, dedupe_key=f"meeting-sync:{meeting.uid}")


def detached(meeting: Meeting) -> bool:
    """Made on an account that is no longer connected: its link stands, but nothing can change it
    there until that account is connected again."""
    return meeting.account_id is None and meeting.external_id is not None


def _kept_link(label: str) -> str:
    return (f"{label} is disconnected: the meeting keeps its link, but its details in {label} were not changed. "
            "Connect that account again and LinkTime updates it.")


def _left_on_account(label: str) -> str:
    return (f"{label} is disconnected, so the meeting was left on the {label} account. "
            f"Connect that account again and LinkTime deletes it, or delete it in {label}.")


def _want(meeting: Meeting, state: DesiredState) -> Job | None:
    """Say what the meeting should be now, and queue the sync that makes it so."""
    meeting.desired_state = state.value
    meeting.desired_revision = Meeting.desired_revision + 1  # in SQL: never lost to a stale read
    if detached(meeting):  # waits for its account; reattach() queues the sync then
        label = meeting.provider_kind.label
        if state is DesiredState.ABSENT:
            meeting.status, meeting.last_error = MeetingStatus.CANCELLED.value, _left_on_account(label)
        else:
            meeting.status, meeting.last_error = MeetingStatus.CREATED.value, _kept_link(label)
        db.session.flush()
        return None
    if meeting.status not in (MeetingStatus.NO_CONNECTION, MeetingStatus.FAILED) or state is DesiredState.ABSENT:
        meeting.status = MeetingStatus.PENDING.value
    db.session.flush()
    return _sync_job(meeting)


def _others(meeting: Meeting, booking: Booking) -> bool:
    return any(b.id != booking.id and b.status == BookingStatus.CONFIRMED for b in meeting.bookings)


def _shared_meeting(event_type: EventType, start: datetime) -> Meeting | None:
    """The meeting of a group slot that already has attendees."""
    return db.session.scalar(
        select(Meeting).join(Booking, Booking.meeting_id == Meeting.id).where(
            Booking.event_type_id == event_type.id, Booking.start == start,
            Booking.status == BookingStatus.CONFIRMED, Meeting.desired_state == DesiredState.PRESENT,
        ).limit(1)
    )


def _overlap_warning(meeting: Meeting, connection: base.Connection) -> str:
    """One account hosts one meeting at a time: warn when a shared account is double-booked."""
    if not connection.is_workspace:
        return ""
    other = db.session.scalar(
        select(Meeting.id).where(
            Meeting.provider == meeting.provider, Meeting.account_id == connection.id, Meeting.id != meeting.id,
            Meeting.desired_state == DesiredState.PRESENT,
            Meeting.status.in_([MeetingStatus.PENDING, MeetingStatus.CREATED]),
            Meeting.start < meeting.end, Meeting.end > meeting.start,
        ).limit(1)
    )
    if other is None:
        return ""
    return (f"{connection.label[0].upper()}{connection.label[1:]} already hosts another meeting at this time; "
            "it can run one meeting at a time.")


def _unusable(meeting: Meeting, connection: base.Connection | None, not_connected: str) -> bool:
    """Mark a meeting that cannot be made on this connection (none, or needing a reconnect)."""
    if connection is None:
        meeting.status, meeting.last_error = MeetingStatus.NO_CONNECTION.value, not_connected
    elif not connection.usable:
        meeting.status, meeting.last_error = MeetingStatus.FAILED.value, connection.problem
    else:
        return False
    return True


def plan_meeting(booking: Booking, event_type: EventType) -> list[Job | None]:
    """In the booking transaction: give the booking its meeting, if its location makes one."""
    provider = base.provider_for(event_type.location)
    if provider is None:
        return []
    if event_type.seats > 1 and (shared := _shared_meeting(event_type, booking.start)) is not None:
        booking.meeting = shared
        return [_want(shared, DesiredState.PRESENT)]  # the topic counts the attendees
    connection = provider.connection_for(booking.host_id)
    meeting = Meeting(host_id=booking.host_id, provider=provider.location.value, start=booking.start,
                      end=booking.end)
    _attach(meeting, connection)
    if _unusable(meeting, connection, f"{provider.location.label} was not connected when this booking was made."):
        meeting.synced_revision = meeting.desired_revision = 1  # nothing to do at the provider
    booking.meeting = meeting
    db.session.add(meeting)
    db.session.flush()
    if connection is not None:
        meeting.warning = _overlap_warning(meeting, connection)
    return [_sync_job(meeting)] if meeting.status == MeetingStatus.PENDING else []


def release_meeting(booking: Booking) -> list[Job | None]:
    """In the cancel transaction (booking already cancelled): the meeting goes once nobody is left."""
    meeting = booking.meeting
    if meeting is None or meeting.desired_state == DesiredState.ABSENT:
        return []
    state = DesiredState.PRESENT if _others(meeting, booking) else DesiredState.ABSENT
    if state is DesiredState.PRESENT and not meeting.is_created:
        return []  # nothing at the provider to re-title
    return [_want(meeting, state)]


def move_meeting(booking: Booking, event_type: EventType) -> list[Job | None]:
    """In the reschedule transaction (booking already at its new time): the meeting follows."""
    meeting = booking.meeting
    if meeting is None:
        return plan_meeting(booking, event_type)
    if _others(meeting, booking):
        booking.meeting = None  # the others keep the old slot's meeting, with one attendee fewer
        db.session.flush()
        retitle = [_want(meeting, DesiredState.PRESENT)] if meeting.is_created else []
        return retitle + plan_meeting(booking, event_type)
    meeting.start, meeting.end = booking.start, booking.end
    if meeting.status in (MeetingStatus.NO_CONNECTION, MeetingStatus.FAILED):
        return []  # nothing at the provider to move; Retry makes it at the new time
    return [_want(meeting, DesiredState.PRESENT)]


def retry_meeting(meeting: Meeting) -> list[Job | None]:
    """In a host transaction: try again with the host's current connection (Retry, reconnect)."""
    provider = base.provider_for(meeting.provider)
    connection = provider.connection_for(meeting.host_id) if provider else None
    label = meeting.provider_kind.label
    missing = f"{label} is not connected. Connect it in Settings → Integrations, then retry."
    if _unusable(meeting, connection, missing) or connection is None:
        return []
    if meeting.external_id is not None and meeting.account_ref != connection.ref:
        meeting.external_id = meeting.join_url = meeting.password = None  # on an account we no longer hold
    _attach(meeting, connection)
    meeting.last_error, meeting.status = "", MeetingStatus.PENDING.value
    return [_want(meeting, DesiredState.PRESENT)]


def _attach(meeting: Meeting, connection: base.Connection | None) -> None:
    meeting.account_id = connection.id if connection else None
    meeting.account_ref = connection.ref if connection else None


def _account(provider: base.ConferencingProvider, meeting: Meeting) -> base.Connection | None:
    """The account the meeting is on, while it is the same account (an id can be reused)."""
    connection = provider.connection(meeting.account_id) if meeting.account_id else None
    return connection if connection is not None and connection.ref == meeting.account_ref else None


def reattach(host_id: int) -> list[Job | None]:
    """Under the host lock, after a (re)connect: meetings made on an account that is connected
    again come back to it, and what they missed meanwhile (a move, a cancel) is done now."""
    jobs: list[Job | None] = []
    waiting = db.session.scalars(select(Meeting).where(
        Meeting.host_id == host_id, Meeting.account_ref.is_not(None), Meeting.account_id.is_(None),
        or_(Meeting.end > now_utc(), Meeting.synced_revision < Meeting.desired_revision)))
    connections: dict[str, base.Connection | None] = {}
    for meeting in list(waiting):
        if meeting.provider not in connections:
            provider = base.provider_for(meeting.provider)
            connections[meeting.provider] = provider.connection_for(host_id) if provider else None
        connection = connections[meeting.provider]
        if connection is None or connection.ref != meeting.account_ref:
            continue
        meeting.account_id = connection.id
        if not meeting.in_sync:
            meeting.status, meeting.last_error = MeetingStatus.PENDING.value, ""
            jobs.append(_sync_job(meeting))
    return jobs


# ---------------------------------------------------------------------------- the sync job


def _details(meeting: Meeting, zone: str) -> base.MeetingDetails:
    attendees = [b for b in meeting.bookings if b.status == BookingStatus.CONFIRMED] or list(meeting.bookings)
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
    connection = _account(provider, meeting)
    external_id, sent_at = meeting.external_id, meeting.create_sent_at
    meeting.attempts += 1
    db.session.commit()  # no transaction stays open during the provider's calls
    label, when = provider.location.label, format_when(details.start, host_zone)
    record: dict = {}
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


def _unconnected(external_id: str | None, label: str) -> dict:
    if external_id is not None:  # made before a disconnect: it stays, and so does its link
        return dict(status=MeetingStatus.CREATED.value, last_error=_kept_link(label), waits=True)
    return dict(status=MeetingStatus.NO_CONNECTION.value,
                last_error=f"{label} was disconnected before the meeting could be made.")


def _absence_settled(provider: base.ConferencingProvider, sent_at: datetime) -> None:
    """After an uncertain create, finding nothing means nothing was made only once the provider has
    had longer than our timeout to act on it (a slow create may land after our look)."""
    settled = sent_at + provider.settle_time()
    if now_utc() < settled:
        raise Retry(f"waiting to see whether {provider.location.label} made the meeting", at=settled, counts=False)


def _make_absent(provider, connection, external_id, sent_at, details, label, when) -> dict:
    if external_id is None and sent_at is None:
        return dict(status=MeetingStatus.CANCELLED.value, last_error="")
    if connection is None:
        return dict(status=MeetingStatus.CANCELLED.value, waits=external_id is not None,
                    last_error=_left_on_account(label))
    if external_id is None:  # a create went out and its answer was lost: find what it made
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


def _make_present(meeting_id, token, provider, connection, external_id, sent_at, details,
                  label, when) -> dict:
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


def _note(meeting_id: int, token: str, message: str, *, sent_at=_KEEP, unverified: bool = False) -> None:
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
            meeting.create_sent_at = sent_at
        meeting.create_unverified = meeting.create_unverified or unverified
    db.session.commit()


def _record(meeting_id: int, token: str, revision: int, values: dict) -> bool:
    """Write what this pass reached; True when the booking changed meanwhile (go again)."""
    kind_detail = values.pop("audit", None)
    reached_now = values.get("status") == MeetingStatus.CREATED

    def then(meeting: Meeting) -> None:
        if kind_detail is not None:
            audit.record(meeting.host_id, *kind_detail)
            audit.note_meeting(meeting, kind_detail[1])
        if meeting.is_created:
            for booking in meeting.bookings:
                db.session.refresh(booking)  # see a confirmation that went out meanwhile
                # Made or moved now: the host's calendar event, written meanwhile without the
                # link ("pending"), is written again with it.
                if reached_now:
                    events.follow_booking(booking)
            queue_link_followups(meeting)

    return sync_lease.record(Meeting, meeting_id, token, revision, values, then)


def resume_meetings(host_ids: list[int]) -> int:
    """After a (re)connect: meetings made on an account connected again come back to it, and
    upcoming bookings left without a meeting get one. Returns how many of those."""
    jobs: list = []
    moved: list = []
    for host_id in host_ids:
        with host_transaction(host_id):
            moved += reattach(host_id)
            stranded = db.session.scalars(
                select(Meeting).join(Booking, Booking.meeting_id == Meeting.id).where(
                    Booking.host_id == host_id, Booking.status == BookingStatus.CONFIRMED,
                    Booking.end > now_utc(),
                    Meeting.status.in_([MeetingStatus.FAILED, MeetingStatus.NO_CONNECTION]),
                ).distinct()
            )
            for meeting in list(stranded):
                jobs += retry_meeting(meeting)
    run_soon(moved + jobs)
    return len([job for job in jobs if job is not None])
