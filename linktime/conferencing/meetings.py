"""The meeting reconciler: outside meetings (Zoom, …) follow their bookings through every change.

In the booking's transaction, under the host lock, the booking service says what the meeting
should be — present at the booking's time with its details, or absent — and raises the meeting's
``desired_revision`` (this module). The job ``meeting.sync`` (``meeting_sync.py``) then brings the
provider to that state and records
the revision it reached. If the revision moved while a call was in flight (a cancel during the
create, a reschedule during a move), the same run goes round again; only one sync of a meeting
runs at a time (a claim with a token on the meeting row), and the job queued by the change waits
for it. A create is marked as sent before it goes out: if its answer is lost, the next pass asks
the provider for the meeting carrying our marker and adopts it, so one booking never gets two.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select

from linktime.conferencing import base
from linktime.extensions import db
from linktime.host_lock import host_transaction
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import enqueue
from linktime.jobs.runner import run_soon
from linktime.models import (
    Booking,
    BookingStatus,
    DesiredState,
    EventType,
    Job,
    Meeting,
    MeetingStatus,
    now_utc,
)

log = logging.getLogger(__name__)
SYNC = JobKind.MEETING_SYNC


# ---------------------------------------------------------------------------- planning (host lock)


def _sync_job(meeting: Meeting) -> Job | None:
    return enqueue(SYNC, meeting_id=meeting.id, dedupe_key=f"meeting-sync:{meeting.uid}")


def detached(meeting: Meeting) -> bool:
    """Made on an account that is no longer connected: its link stands, but nothing can change it
    there until that account is connected again."""
    return meeting.account_id is None and meeting.external_id is not None


def kept_link(label: str) -> str:
    return (f"{label} is disconnected: the meeting keeps its link, but its details in {label} were not changed. "
            "Connect that account again and LinkTime updates it.")


def left_on_account(label: str) -> str:
    return (f"{label} is disconnected, so the meeting was left on the {label} account. "
            f"Connect that account again and LinkTime deletes it, or delete it in {label}.")


def _want(meeting: Meeting, state: DesiredState) -> Job | None:
    """Say what the meeting should be now, and queue the sync that makes it so."""
    meeting.desired_state = state.value
    meeting.desired_revision = Meeting.desired_revision + 1  # in SQL: never lost to a stale read
    if detached(meeting):  # waits for its account; reattach() queues the sync then
        label = meeting.provider_kind.label
        if state is DesiredState.ABSENT:
            meeting.status, meeting.last_error = MeetingStatus.CANCELLED.value, left_on_account(label)
        else:
            meeting.status, meeting.last_error = MeetingStatus.CREATED.value, kept_link(label)
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


def successors(meeting: Meeting | None) -> list[Meeting]:
    """The meetings waiting to take this one's place (a booking handed to another host), still wanted."""
    if meeting is None:
        return []
    return list(db.session.scalars(select(Meeting).where(Meeting.replaces_id == meeting.id,
                                                          Meeting.desired_state == DesiredState.PRESENT)))


def hand_over(booking: Booking, event_type: EventType) -> list[Job | None]:
    """In the transaction that hands the booking to another host (``booking.host_id`` the new one):
    its meeting is made again on the new host's account, and takes the old one's place — which is
    then deleted — only once made (``took_over``): the booking keeps a working link throughout."""
    old = booking.meeting
    stale = [_want(waiting, DesiredState.ABSENT) for waiting in successors(old)]  # an earlier hand-over's
    if old is None or not old.is_created or _others(old, booking):
        if old is not None and not _others(old, booking) and old.desired_state == DesiredState.PRESENT:
            stale.append(_want(old, DesiredState.ABSENT))
        booking.meeting = None
        db.session.flush()
        return stale + plan_meeting(booking, event_type)
    jobs = plan_meeting(booking, event_type)
    new, booking.meeting = booking.meeting, old  # the booking keeps its link until the new one is made
    if new is not None:
        new.replaces = old
    db.session.flush()
    return stale + jobs


def took_over(meeting: Meeting) -> list[Job | None]:
    """Under the new host's lock, once ``meeting`` is made: it takes its bookings over from the
    meeting it replaces, and that one goes. Returns the jobs (that deletion)."""
    old = meeting.replaces
    if old is None or meeting.desired_state != DesiredState.PRESENT:
        return []
    for booking in sorted(old.bookings, key=lambda seat: seat.id):  # one order for every writer
        booking.meeting = meeting
    meeting.replaces = None
    db.session.flush()
    return [_want(old, DesiredState.ABSENT)] if old.desired_state == DesiredState.PRESENT else []


def release_meeting(booking: Booking) -> list[Job | None]:
    """In the cancel transaction (booking already cancelled): the meeting goes once nobody is left."""
    meeting = booking.meeting
    if meeting is None or meeting.desired_state == DesiredState.ABSENT:
        return []
    if not _others(meeting, booking):  # and the one that was to take its place, if any
        waiting = [_want(successor, DesiredState.ABSENT) for successor in successors(meeting)]
        return [*waiting, _want(meeting, DesiredState.ABSENT)]
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
    following = []
    for successor in successors(meeting):  # a hand-over under way: the new meeting moves too
        successor.start, successor.end = booking.start, booking.end
        following.append(_want(successor, DesiredState.PRESENT))
    meeting.start, meeting.end = booking.start, booking.end
    if meeting.status in (MeetingStatus.NO_CONNECTION, MeetingStatus.FAILED):
        return following  # nothing at the provider to move; Retry makes it at the new time
    return [_want(meeting, DesiredState.PRESENT), *following]


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


def account_of(provider: base.ConferencingProvider, meeting: Meeting) -> base.Connection | None:
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


def resume_meetings(host_ids: list[int]) -> int:
    """After a (re)connect: meetings made on an account connected again come back to it, and
    upcoming bookings left without a meeting get one. Returns how many of those."""
    jobs: list[Job | None] = []
    moved: list[Job | None] = []
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
