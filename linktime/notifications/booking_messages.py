"""Messages about a booking: queued in the booking's transaction, written when they are sent.

Each message reads the booking as it is at send time (the current time, place and Zoom link),
so a retry or a reschedule is always reflected. Reminders carry the start they were planned for
and quietly drop out when the booking was cancelled or moved (the move queues new ones).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from linktime.conferencing.base import makes_meetings
from linktime.extensions import db, rows_changed
from linktime.formatting import clock_of_reader, format_duration, format_series, format_span
from linktime.i18n import lazy_gettext
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import Retry, enqueue, running_job, share_read
from linktime.models import Booking, DesiredState, EventType, Job, JobStatus, Meeting, MeetingStatus, User, now_utc
from linktime.notifications import ics, sms
from linktime.notifications.email import Mail, MailError, build, deliver
from linktime.urls import public_url

RECIPIENTS = ("invitee", "host")
# The sequence told to the invitee and the host. A booking's other hosts ("host:<user id>") get
# every notice queued for them: none is left out as told already.
TOLD = {"invitee": Booking.told_invitee, "host": Booking.told_host}


def recipients(booking: Booking) -> tuple[str, ...]:
    """Who hears of the booking: the invitee (an internal meeting has none), its host, its other
    hosts (a collective booking's, an internal meeting's teammates) and its outside guests."""
    return (*(("invitee",) if booking.invitee_email else ()), "host",
            *(f"host:{co.user_id}" for co in booking.co_hosts),
            *(f"guest:{index}" for index in range(len(booking.guest_list))))


def _guest(booking: Booking, recipient: str) -> str | None:
    """The address of an outside guest's message ("guest:<n>"), while they are one."""
    if not recipient.startswith("guest:"):
        return None
    index, guests = int(recipient.split(":", 1)[1]), booking.guest_list
    return guests[index] if index < len(guests) else None


def person(booking: Booking, recipient: str) -> User | None:
    """The host a host's message goes to (None: no longer one of the booking's hosts); for
    "former:<user id>", the host it was handed over from."""
    if recipient == "host":
        return booking.host
    if recipient.startswith("former:"):
        return db.session.get(User, int(recipient.split(":", 1)[1]))
    return next((co.user for co in booking.co_hosts if recipient == f"host:{co.user_id}"), None)
# Told once per state of the booking, one after the other: a later one stands for an earlier one
# not sent yet, and one that finds its state told already (by a notice it followed) is not sent.
NOTICES = ("rescheduled", "link")


def _email(booking: Booking, kind: str, recipient: str, *, new: bool = False, **extra: Any) -> Job | None:
    # A change notice not sent yet stands for a later one (it is written from the booking as it is
    # when it goes): one key per booking and recipient.
    sequence = "" if kind in NOTICES else booking.sequence
    key = f"email:{booking.uid}:{kind}:{recipient}:{sequence}:{extra.get('offset', '')}:{extra.get('for_start', '')}"
    return enqueue(JobKind.BOOKING_EMAIL, booking_id=booking.id, kind=kind, recipient=recipient, dedupe_key=key,
                   new=new, **extra)


def _reminders(booking: Booking, event_type: EventType, *, new: bool = False) -> list[Job | None]:
    """Reminders at the event type's offsets; none for a time already past."""
    jobs: list[Job | None] = []
    now, start = now_utc(), booking.start.isoformat()
    for offset in sorted(set(event_type.reminder_offsets or []), reverse=True):
        due = booking.start - timedelta(minutes=int(offset))
        if due <= now:
            continue
        for recipient in recipients(booking) if event_type.remind_host else ("invitee",):
            jobs.append(enqueue(JobKind.BOOKING_EMAIL, run_at=due, booking_id=booking.id, kind="reminder",
                                recipient=recipient, offset=int(offset), for_start=start, new=new,
                                dedupe_key=f"reminder:{booking.uid}:{recipient}:{offset}:{start}"))
        if event_type.sms_reminders and booking.invitee_phone and sms.configured():
            jobs.append(enqueue(JobKind.SMS_REMINDER, run_at=due, booking_id=booking.id, offset=int(offset),
                                for_start=start, new=new, dedupe_key=f"sms:{booking.uid}:{offset}:{start}"))
    return jobs


def queue_booked(booking: Booking, event_type: EventType, *, confirm: bool = True) -> list[Job | None]:
    """A booking made in this transaction: its messages' keys are its own and new.

    ``confirm=False``: a later session of a series, confirmed in its first session's message.
    """
    db.session.flush()
    confirmations = [_email(booking, "confirmed", r, new=True) for r in recipients(booking)] if confirm else []
    return confirmations + _reminders(booking, event_type, new=True)


def queue_rescheduled(booking: Booking, event_type: EventType) -> list[Job | None]:
    """The notices of a move; a confirmation still waiting (a retry's backoff) goes now, before them."""
    now = now_utc()
    for waiting in _confirmations_waiting(booking, recipients(booking)):
        waiting.run_at = min(waiting.run_at, now)
    _drop_reminders(booking, keep=booking.start.isoformat())
    return [_email(booking, "rescheduled", r) for r in recipients(booking)] + _reminders(booking, event_type)


def _drop_reminders(booking: Booking, *, keep: str | None = None) -> None:
    """The booking's waiting reminders are no longer needed (all, or those not for the time
    ``keep``): done now, so no job list shows them as if they would go out. One a runner holds
    already sees the change and drops itself."""
    now = now_utc()
    keys = or_(Job.dedupe_key.like(f"reminder:{booking.uid}:%"), Job.dedupe_key.like(f"sms:{booking.uid}:%"))
    db.session.execute(
        update(Job).where(Job.status == JobStatus.PENDING, keys,
                          or_(Job.claimed_until.is_(None), Job.claimed_until < now),
                          *([Job.dedupe_key.not_like(f"%:{keep}")] if keep else []))
        .values(status=JobStatus.DONE.value, dedupe_key=None, last_error="", updated_at=now)
        .execution_options(synchronize_session=False))


def _earlier_notice_waiting(booking: Booking, recipient: str) -> bool:
    """An earlier notice of this booking to this person has not finished (in any process): notices
    to one person go one after the other, so the later one sees what the earlier told."""
    mine = running_job.get()
    if mine is None:
        return False
    # A notice job holds its key, or gave it up to a later one while a runner held it.
    own = or_(Job.dedupe_key.like(f"email:{booking.uid}:%"), Job.dedupe_key.is_(None))
    return db.session.scalar(select(Job.id).where(
        Job.kind == "email.booking", Job.status == JobStatus.PENDING, Job.id < mine, own,
        Job.payload["booking_id"].as_integer() == booking.id, Job.payload["kind"].as_string().in_(NOTICES),
        Job.payload["recipient"].as_string() == recipient).limit(1)) is not None


def _confirmations_waiting(booking: Booking, recipients: tuple[str, ...]) -> list[Job]:
    """The confirmations of this booking (or of its series, queued on its first session) to these
    recipients that have not gone out yet."""
    uids = {booking.uid} | {session.uid for session in _series(booking)[:1]}
    keys = [Job.dedupe_key.like(f"email:{uid}:confirmed:{recipient}:%") for uid in uids for recipient in recipients]
    return list(db.session.scalars(select(Job).where(
        Job.kind == "email.booking", Job.status == JobStatus.PENDING, or_(*keys))))


def queue_reassigned(booking: Booking, former_host_id: int) -> list[Job | None]:
    """The booking was handed to another host: the invitee is told who they meet now, the new host
    gets it as a new booking, and the former host hears it is off their hands."""
    return [_email(booking, "reassigned", "invitee"), _email(booking, "confirmed", "host"),
            _email(booking, "handed_over", f"former:{former_host_id}")]


def queue_cancelled(booking: Booking) -> list[Job | None]:
    _drop_reminders(booking)
    return [_email(booking, "cancelled", r) for r in recipients(booking)]


def queue_link_followups(meeting: Meeting) -> list[Job | None]:
    """The meeting was made after a message without its link went out: send the link now."""
    jobs: list[Job | None] = []
    for booking in sorted(meeting.bookings, key=lambda seat: seat.id):  # one order for every writer
        if booking.link_to_follow and not booking.is_cancelled:
            # Taken by one conditional UPDATE: the meeting's sync and the message that set the flag
            # may both get here, and only one of them may send the link.
            taken = rows_changed(
                update(Booking).where(Booking.id == booking.id, Booking.link_to_follow.is_(True))
                .values(link_to_follow=False, sequence=Booking.sequence + 1)  # the invite now carries the link
                .execution_options(synchronize_session=False)
            )
            if taken:
                db.session.expire(booking, ["link_to_follow", "sequence"])
                jobs += [_email(booking, "link", r) for r in recipients(booking)]
    return jobs


def queue_new_link(booking: Booking) -> list[Job | None]:
    """The booking's meeting link changed (its meeting made again on a new host's account): everyone
    is sent the new one, with an invitation that carries it."""
    booking.sequence = Booking.sequence + 1
    db.session.flush()
    db.session.refresh(booking, ["sequence"])
    return [_email(booking, "link", r) for r in recipients(booking)]


def queue_link_again(booking: Booking) -> Job | None:
    """Someone asked for this booking's taken slot: its link goes to its own address only."""
    return _email(booking, "link_again", "invitee")


SUBJECTS = {
    ("confirmed", "invitee"): lazy_gettext("Confirmed: %(title)s with %(host)s"),
    ("confirmed", "host"): lazy_gettext("New booking: %(invitee)s — %(title)s"),
    ("rescheduled", "invitee"): lazy_gettext("Rescheduled: %(title)s with %(host)s"),
    ("rescheduled", "host"): lazy_gettext("Rescheduled: %(invitee)s — %(title)s"),
    ("cancelled", "invitee"): lazy_gettext("Cancelled: %(title)s with %(host)s"),
    ("cancelled", "host"): lazy_gettext("Cancelled: %(invitee)s — %(title)s"),
    ("reminder", "invitee"): lazy_gettext("Reminder: %(title)s with %(host)s"),
    ("reminder", "host"): lazy_gettext("Reminder: %(invitee)s — %(title)s"),
    ("link", "invitee"): lazy_gettext("Your %(provider)s link: %(title)s with %(host)s"),
    ("link", "host"): lazy_gettext("%(provider)s link ready: %(invitee)s — %(title)s"),
    ("link_again", "invitee"): lazy_gettext("Your booking link: %(title)s with %(host)s"),
    ("reassigned", "invitee"): lazy_gettext("Now with %(host)s: %(title)s"),
    ("handed_over", "host"): lazy_gettext("Handed over to %(host)s: %(invitee)s — %(title)s"),
}
# Messages about a booking as it stands: none of these go out once it is cancelled.
ONLY_WHILE_CONFIRMED = {"confirmed", "rescheduled", "reminder", "link", "link_again", "reassigned", "handed_over"}
WITH_INVITE = {"confirmed": "REQUEST", "rescheduled": "REQUEST", "link": "REQUEST", "cancelled": "CANCEL",
               "reassigned": "REQUEST"}


def booking_message(booking: Booking, kind: str, recipient: str, *, offset: int | None = None,
                    sessions: Sequence[Booking] = ()) -> Mail:
    """The email for one recipient, from the booking's current state (``sessions``: a series'
    confirmed sessions, which its confirmation lists), its times written as its reader reads them:
    the invitee (and their guests) with the clock and locale of the page they booked on."""
    guest = _guest(booking, recipient)
    to_host = recipient != "invitee" and guest is None
    reader = person(booking, recipient) or booking.host
    with clock_of_reader(*reader_of(booking, reader if to_host else None)):
        return _booking_message(booking, kind, recipient, guest, to_host, offset=offset, sessions=sessions)


def reader_of(booking: Booking, host: User | None) -> tuple[int, str | None]:
    """How a message about ``booking`` writes times and words: a host's way (24-hour, in their
    profile's language) or, without one, the invitee's (the page they booked on)."""
    if host is not None:
        return 24, host.language or None
    return booking.invitee_hours or 24, booking.invitee_locale or None


def _booking_message(booking: Booking, kind: str, recipient: str, guest: str | None, to_host: bool, *,
                     offset: int | None, sessions: Sequence[Booking]) -> Mail:
    host = person(booking, recipient) or booking.host
    zone = host.timezone if to_host else booking.invitee_timezone
    when = format_span(booking.start, booking.end, zone)
    provider = booking.location_kind.label
    subject = str(SUBJECTS[(kind, "host" if to_host else "invitee")]) % dict(
        title=booking.title, host=booking.host_names, provider=provider, invitee=booking.invitee_name,
    ) + f" — {when}"
    link = ics.join_url(booking)
    context = dict(
        sessions=sessions, series_line=format_series(sessions, zone) if sessions else "",
        series_ics=public_url("bookings.series_invite", token=booking.manage_token) if sessions else "",
        booking=booking, kind=kind, to_host=to_host, guest=guest is not None, zone=zone, when=when, join_url=link,
        provider=provider,
        meeting=booking.meeting if link else None, where=ics.where(booking),
        link_pending=not link and _meeting_pending(booking),
        manage_url=booking.manage_url if recipient == "invitee" else "", dashboard_url=public_url("bookings.dashboard"),
        lead=format_duration(offset) if offset else "",
        book_again_url=book_again_url(booking) if kind == "cancelled" and recipient == "invitee" else "",
    )
    to = host.email if to_host else guest or booking.invitee_email
    message = build(to, subject, "booking", **context)
    # A reply reaches the other person, not the no-reply sender: the invitee writes to the host, and back.
    message.reply_to = formataddr((booking.invitee_name, booking.invitee_email)) if to_host and booking.invitee_email \
        else formataddr((booking.host.name, booking.host.email))
    # Stable across retries, so a message sent twice after a crash is recognisable as one.
    message.message_id = f"<{booking.uid}.{kind}.{recipient}.{booking.sequence}.{offset or 0}@linktime>"
    if kind in WITH_INVITE:
        # As Gmail and Outlook expect: a text/calendar alternative with method=, plus an .ics file.
        message.invite, message.method = ics.invite(booking, cancel=kind == "cancelled"), WITH_INVITE[kind]
    return message


def book_again_url(booking: Booking) -> str:
    """Where the invitee of a cancelled booking picks another time: its event type's page, while it is active."""
    event_type = booking.event_type
    if booking.internal or event_type is None or not event_type.active:
        return ""
    return event_type.public_url


def _meeting_pending(booking: Booking) -> bool:
    """The booking's meeting is on its way (being made at the provider)."""
    meeting = booking.meeting
    return makes_meetings(booking.location) and meeting is not None and meeting.status == MeetingStatus.PENDING


def _series(booking: Booking) -> list[Booking]:
    """The confirmed sessions of the booking's series (none when it is not in one)."""
    if booking.series_id is None:
        return []
    return [session for session in booking.series_sessions() if not session.is_cancelled]


def _waiting_for_link(booking: Booking, sessions: list[Booking]) -> bool:
    """Worth holding the confirmation a little: a link (any session's, for a series) is about to arrive."""
    if not any(_meeting_pending(session) for session in sessions or [booking]):
        return False
    bound = timedelta(seconds=float(current_app.config.get("ZOOM_LINK_WAIT_SECONDS", 90)))
    return now_utc() < booking.created_at + bound


def _notice_due(booking: Booking, recipient: str) -> bool:
    """Whether a change's notice goes now: never before that person's confirmation or an earlier
    notice (Retry until they have gone); False when this very state was told already."""
    if _confirmations_waiting(booking, (recipient,)):
        raise Retry("waiting for the confirmation to go out first", at=now_utc() + timedelta(seconds=5),
                    counts=False)
    if _earlier_notice_waiting(booking, recipient):
        raise Retry("an earlier notice to this person goes first", at=now_utc() + timedelta(seconds=2),
                    counts=False)
    if recipient not in TOLD:
        return True
    return bool(db.session.scalar(select(TOLD[recipient]).where(Booking.id == booking.id)) != booking.sequence)


def _link_to_follow(kind: str, session: Booking) -> bool:
    """A confirmation or change sent without the meeting link it will have: the link follows later."""
    return (kind in ("confirmed", "rescheduled") and makes_meetings(session.location)
            and ics.join_url(session) is None and session.meeting is not None
            and session.meeting.desired_state == DesiredState.PRESENT)


def send_booking_email(booking_id: int, kind: str, recipient: str, offset: int | None = None,
                       for_start: str | None = None) -> None:
    """Write the message from the booking as it is now, and send it (unless its reason passed)."""
    booking = db.session.get(Booking, booking_id, options=[joinedload(Booking.host), joinedload(Booking.meeting)])
    if booking is not None and booking.is_cancelled and kind == "confirmed" and booking.series_id is not None:
        # The series' one confirmation, queued on its first session: a session still on sends it.
        booking = next(iter(_series(booking)), booking)
    if booking is None or (booking.is_cancelled and kind in ONLY_WHILE_CONFIRMED):
        return  # a confirmation or reminder for a booking cancelled since: not sent
    if recipient != "invitee" and person(booking, recipient) is None and _guest(booking, recipient) is None:
        return  # no longer one of its hosts, or guests
    share_read(booking)  # the other recipient's copy, sent next, reads the same booking
    if kind == "reminder":
        planned = datetime.fromisoformat(for_start) if for_start else booking.start
        if booking.start != planned or booking.start <= now_utc():
            return  # moved (new reminders were queued), or already begun
    if kind in NOTICES and not _notice_due(booking, recipient):
        return  # this very state was told already (by the notice this one followed)
    # A series' confirmation lists every session: read once, for what it says and what follows it.
    sessions = _series(booking) if kind == "confirmed" else []
    if kind == "confirmed" and _waiting_for_link(booking, sessions):
        raise Retry("waiting for the meeting link", at=now_utc() + timedelta(seconds=5), counts=False)
    # Written from one reading of the booking: whether this message carries the link is decided here.
    message = booking_message(booking, kind, recipient, offset=offset, sessions=sessions)
    linkless = [session for session in sessions or [booking] if _link_to_follow(kind, session)]
    if linkless:
        for session in linkless:  # each sent its link whenever its meeting is made (now, by Retry, on reconnect)
            session.link_to_follow = True
        db.session.commit()
    try:
        deliver(message)
    except MailError as exc:
        raise Retry(str(exc)) from None
    if kind in NOTICES and recipient in TOLD:  # recorded with the job's outcome
        db.session.execute(update(Booking).where(Booking.id == booking.id).values({TOLD[recipient]: booking.sequence})
                           .execution_options(synchronize_session=False))
    for session in linkless:
        meeting = session.meeting
        if session.link_to_follow and meeting is not None:
            db.session.refresh(meeting)
            if meeting.is_created:  # made while this was being sent
                queue_link_followups(meeting)
                db.session.commit()
