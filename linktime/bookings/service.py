"""Booking, cancelling and rescheduling — each one database transaction.

Concurrency: every change to a host's calendar starts by bumping ``users.booking_seq`` for that
host. The UPDATE takes a row lock on PostgreSQL and the write lock on SQLite (it is the first
write of the transaction, so pysqlite opens the transaction right there), so two invitees racing
for one slot are serialised: the second sees the first one's booking when it checks the slot.

What is free is read by ``availability.py``; this module changes bookings.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from linktime import audit
from linktime.bookings.availability import (
    SlotTaken,
    SlotUnavailable,
    check_slot,
    free_hosts,
    hosts_of,
    outside_window,
    team_outside,
)
from linktime.calendars import events
from linktime.calendars.busy import renew
from linktime.conferencing import meetings
from linktime.conferencing.base import makes_meetings, provider_for
from linktime.extensions import db, rows_changed
from linktime.formatting import format_when
from linktime.host_lock import availability_changed, host_transaction
from linktime.i18n import gettext
from linktime.jobs.runner import run_briefly, run_soon
from linktime.models import (
    Booking,
    BookingHost,
    BookingStatus,
    EventType,
    Meeting,
    Scheduling,
    User,
    WebhookEvent,
    now_utc,
)
from linktime.notifications.booking_messages import (
    queue_booked,
    queue_cancelled,
    queue_link_again,
    queue_reassigned,
    queue_rescheduled,
)
from linktime.scheduling import Slot
from linktime.scheduling.teams import Candidate, fairness_order
from linktime.tokens import digest, uid_of
from linktime.webhooks import events as webhooks


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
    answers: tuple = ()  # to the event type's questions: ({"question", "kind", "answer"}, …)
    guests: tuple[str, ...] = ()  # addresses the invitee brings, within the event type's allowance
    locale: str = ""  # how their page wrote dates ("en_US"), and its clock: their messages do the same
    hours: int | None = None


LINK_RESEND_INTERVAL = timedelta(minutes=10)


def by_key(key: str | None) -> Booking | None:
    """The booking a form made, found by its key (server-issued and checked by the view)."""
    if not key:
        return None
    return db.session.scalar(select(Booking).where(Booking.idempotency_key == key))


def book_slot(event_type: EventType, start: datetime, invitee: Invitee, *, key: str | None = None) -> Booking:
    """Book ``start`` for the invitee; the same form sent again returns the booking it made.

    Only the form's own key finds an existing booking: a taken slot is SlotTaken for everyone
    else, whoever holds it, and its holders are sent their link again (see resend_links). A team
    event type's booking goes to one member free at the time (round-robin) or to all of them
    (collective), under the locks of every member.
    """
    if not event_type.active:
        raise SlotUnavailable()
    start = start.astimezone(UTC)
    existing = by_key(key)
    if existing is not None:
        return existing
    try:
        # Read first, without the host lock: a time already gone is answered without queueing behind
        # the other requests for it. Only the check under the lock below decides a booking.
        locks, choose = _who_hosts(event_type, start)
    except SlotTaken:
        _taken(event_type, start)
        raise
    try:
        with host_transaction(*locks):
            existing = by_key(key)
            if existing is not None:
                return existing
            host, slot, co_hosts = choose()
            check_caps(host, invitee.email, event_type=event_type)
            booking = new_booking(event_type, slot, invitee, key=key, host=host)
            booking.co_hosts = [BookingHost(user_id=co_host.id) for co_host in co_hosts]
            db.session.flush()
            jobs = meetings.plan_meeting(booking, event_type)
            messages = (queue_booked(booking, event_type) + events.plan_event(booking)
                        + webhooks.queue_event(booking, WebhookEvent.CREATED))
    except IntegrityError:
        # The same form submitted twice at the same instant: the other request won.
        existing = by_key(key)
        if existing is None:
            raise
        return existing
    except SlotTaken:
        _taken(event_type, start)
        raise
    run_briefly(jobs)  # the confirmation page shows the meeting link when the provider answers at once
    run_soon(messages)
    return booking


Choice = Callable[[], tuple[User, Slot, list[User]]]


def _who_hosts(event_type: EventType, start: datetime) -> tuple[list[int], Choice]:
    """Before the locks: whether the time is free at all, and the calendars read (never under a
    lock). Returns whose locks to take, and what decides — under them — the host, the slot and
    the other hosts."""
    if not event_type.is_team:
        check_slot(event_type, start)
        outside = outside_window(event_type, start)
        return [event_type.host_id], lambda: (event_type.host, check_slot(event_type, start, outside=outside), [])
    free_hosts(event_type, start)
    team_busy = team_outside(event_type, start)

    def choose() -> tuple[User, Slot, list[User]]:
        free = free_hosts(event_type, start, outside=team_busy)
        host, slot = assignee(event_type, free)
        collective = event_type.scheduling_kind is Scheduling.COLLECTIVE
        return host, slot, [member for member, _ in free if collective and member.id != host.id]

    return [member.id for member in hosts_of(event_type)], choose


def assignee(event_type: EventType, free: list[tuple[User, Slot]]) -> tuple[User, Slot]:
    """Who hosts a team booking: a collective one, its organiser (or, should they no longer be among
    its hosts, the first of them); a round-robin one, the free member most due (see fairness_order).
    Runs under the members' locks, so the counts it weighs are exact."""
    by_id = {member.id: (member, slot) for member, slot in free}
    if event_type.scheduling_kind is Scheduling.COLLECTIVE:
        return by_id.get(event_type.host_id, free[0])
    chosen = {host.user_id: host for host in event_type.team_hosts}
    since = now_utc().replace(day=1, hour=0, minute=0, second=0, microsecond=0)  # this calendar month (UTC)
    counts: dict[int, int] = dict(db.session.execute(
        select(Booking.host_id, func.count()).where(
            Booking.event_type_id == event_type.id, Booking.host_id.in_(by_id), Booking.created_at >= since,
            Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.host_id)).all())
    latest: dict[int, datetime] = dict(db.session.execute(
        select(Booking.host_id, func.max(Booking.created_at))
        .where(Booking.event_type_id == event_type.id, Booking.host_id.in_(by_id))
        .group_by(Booking.host_id)).all())
    candidates = [Candidate(user_id=member_id, bookings=counts.get(member_id, 0),
                            weight=chosen[member_id].weight if member_id in chosen else 100,
                            priority=chosen[member_id].priority if member_id in chosen else 0,
                            last_booked=latest.get(member_id))
                  for member_id in by_id]
    return by_id[fairness_order(candidates)[0].user_id]


def _taken(event_type: EventType, start: datetime, *, exclude: int | None = None) -> None:
    """After SlotTaken. Taken by an event in the host's calendars: the pages that still offer the
    time are renewed. Taken by a booking: its holders are sent their link again."""
    if event_type.is_team:
        if exclude is None:
            resend_links(event_type, start)
        return
    try:
        check_slot(event_type, start, exclude=exclude, outside=[])
    except (SlotTaken, SlotUnavailable):
        if exclude is None:
            resend_links(event_type, start)
    else:
        renew(event_type.host_id)


def new_booking(event_type: EventType, slot: Slot, invitee: Invitee, *, key: str | None,
                series: tuple[str, int] | None = None, host: User | None = None) -> Booking:
    """A confirmed booking of ``slot`` (with ``host``, for a team event type), added and flushed
    (in a host transaction)."""
    host = host or event_type.host
    booking = Booking(
        host_id=host.id,
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
        answers=list(invitee.answers) or None,
        invitee_locale=invitee.locale, invitee_hours=invitee.hours,
        guests=list(invitee.guests[:event_type.max_guests]) or None,
    )
    db.session.add(booking)
    db.session.flush()
    audit.note_booking(booking.id, f"Booked by {booking.invitee_name} for "
                                   f"{format_when(booking.start, host.timezone, 24)}"
                                   + (f", session {series[1]} of a series." if series else "."))
    return booking


def check_caps(host: User, email: str | None, new: int = 1, *, event_type: EventType | None = None) -> None:
    """Bound what strangers can book: per invitee email (None: an internal meeting, which has no
    invitee) and host, and per host, in 24 hours; and
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
        select(func.count(), func.count().filter(Booking.invitee_email == (email or "").strip().lower(),
                                                 first_of_series))
        .select_from(Booking).where(Booking.host_id == host.id, Booking.created_at > since)
    ).one()
    if email is not None and per_email >= int(config["BOOKINGS_PER_EMAIL_PER_DAY"]):
        raise BookingLimit(gettext(
            "This email address has made %(num)d bookings with %(name)s in the last 24 hours, the most one address "
            "may make (a series counts once; guests are not counted). Please try again tomorrow, or change one of "
            "your bookings instead.", num=per_email, name=host.name))
    if per_host + new > int(config["BOOKINGS_PER_HOST_PER_DAY"]):
        raise BookingLimit(gettext("%(name)s cannot take more bookings today. Please try again tomorrow.",
                                   name=host.name))
    provider = provider_for(event_type.location) if event_type is not None else None
    account = provider.connection_for(host.id) if provider is not None else None
    if provider is not None and account is not None:
        made = db.session.scalar(select(func.count(Meeting.id)).where(
            Meeting.provider == provider.location.value, Meeting.account_id == account.id, Meeting.created_at > since))
        if (made or 0) + new > int(config["MEETINGS_PER_ACCOUNT_PER_DAY"]):
            raise BookingLimit(gettext("%(name)s cannot take more %(provider)s bookings today. Please try again "
                                       "tomorrow.", name=host.name, provider=provider.location.label))


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
    told = webhooks.queue_event(booking, WebhookEvent.CANCELLED, cancelReason=booking.cancel_reason or None,
                                cancelledBy=by)
    return meetings.release_meeting(booking), queue_cancelled(booking) + events.release_event(booking) + told


def cancel_booking(booking: Booking, *, by: str, reason: str = "") -> Booking:
    """Cancel a confirmed, upcoming booking; its time becomes free again."""
    with host_transaction(*booking.host_ids):
        booking = _changeable(booking.id)
        jobs, messages = _cancel(booking, by, reason)
    run_briefly(jobs)
    run_soon(messages)
    return booking


def cancel_rest(booking: Booking, *, by: str, reason: str = "") -> list[Booking]:
    """Cancel this session of a series and every later one that can still be changed, at once."""
    with host_transaction(*booking.host_ids):
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


def reschedule_booking(booking: Booking, start: datetime, *, by: str = "invitee", reason: str = "") -> Booking:
    """Move a booking to another free time of its event type (``by`` the invitee or the host, who
    may say why: the other side is told)."""
    start = start.astimezone(UTC)
    event_type, hosts = booking.event_type, booking.hosts
    if event_type is not None and event_type.is_team:  # with the same hosts: free_hosts(hosts=…)
        outside: list | dict = team_outside(event_type, start, hosts)
    else:
        outside = outside_window(event_type, start) if event_type else []
    try:
        with host_transaction(*booking.host_ids):
            booking = _changeable(booking.id)
            event_type = booking.event_type
            if event_type is None or not event_type.active:
                raise SlotUnavailable()
            if isinstance(outside, dict):
                slot = free_hosts(event_type, start, exclude=booking.id, outside=outside, hosts=hosts)[0][1]
            else:
                slot = check_slot(event_type, start, exclude=booking.id, outside=outside)
            zone = booking.host.timezone
            audit.note_booking(
                booking.id,
                f"Moved by {'the host' if by == 'host' else booking.invitee_name} from "
                f"{format_when(booking.start, zone, 24)} to {format_when(slot.start, zone, 24)}.",
            )
            before = {"previousStartTime": webhooks.iso(booking.start), "previousEndTime": webhooks.iso(booking.end)}
            booking.start, booking.end = slot.start, slot.end
            booking.moved_by, booking.move_reason = by, reason.strip()
            booking.sequence = Booking.sequence + 1
            db.session.flush()
            jobs = meetings.move_meeting(booking, event_type)
            messages = (queue_rescheduled(booking, event_type) + events.follow_booking(booking)
                        + webhooks.queue_event(booking, WebhookEvent.RESCHEDULED, **before, rescheduledBy=by,
                                               reason=booking.move_reason or None))
    except SlotTaken:
        if booking.event_type is not None:
            _taken(booking.event_type, start, exclude=booking.id)
        raise
    run_briefly(jobs)
    run_soon(messages)
    return booking


class CannotReassign(Exception):
    """The booking cannot go to that member (said why, for the page)."""


def reassign_booking(booking: Booking, member_id: int, *, by: User) -> Booking:
    """Hand a round-robin booking to another of its event type's hosts, free at its time (their
    hours, bookings and calendars; the minimum notice aside). Its meeting is made again on the new
    host's account and replaces the old one once made (conferencing/meetings.hand_over); the
    calendar events, the invitee and both hosts follow."""
    event_type = booking.event_type
    if event_type is None or event_type.scheduling_kind is not Scheduling.ROUND_ROBIN:
        raise CannotReassign(gettext("Only a round-robin booking can be handed to another member."))
    member = next((chosen.user for chosen in event_type.team_hosts if chosen.user_id == member_id), None)
    if member is None or member.id == booking.host_id:
        raise CannotReassign(gettext("Choose another of this event type’s hosts."))
    provider = provider_for(booking.location)
    if provider is not None and provider.connection_for(member.id) is None:
        raise CannotReassign(gettext("%(name)s has not connected %(provider)s, so the booking would lose its meeting "
                                     "link. Ask them to connect it in Settings → Integrations first.",
                                     name=member.name, provider=provider.location.label))
    now_on = replace(event_type.rules, min_notice=timedelta(0))
    outside = team_outside(event_type, booking.start, [member])
    with host_transaction(booking.host_id, member.id):
        booking = _changeable(booking.id)
        former = booking.host
        free_hosts(event_type, booking.start, exclude=booking.id, outside=outside, hosts=[member], rules=now_on)
        audit.note_booking(booking.id, f"Handed from {former.name} to {member.name} by {by.name}.")
        booking.host_id = member.id
        booking.sequence = Booking.sequence + 1
        db.session.flush()
        db.session.refresh(booking, ["host", "sequence"])
        jobs = meetings.hand_over(booking, event_type)
        messages = events.hand_over(booking, former.id) + queue_reassigned(booking, former.id)
        availability_changed(former.id)
    run_briefly(jobs)
    run_soon(messages)
    return booking


def may_manage(user: User, booking: Booking) -> bool:
    """Whether ``user`` may see and change the booking: one of its hosts, or an admin (a team's)."""
    if user.id in booking.host_ids:
        return True
    return bool(user.is_admin and booking.event_type is not None and booking.event_type.is_team)


def reassign_choices(booking: Booking) -> list[User]:
    """The members a round-robin booking could be handed to (free or not: the hand-over checks)."""
    event_type = booking.event_type
    if event_type is None or event_type.scheduling_kind is not Scheduling.ROUND_ROBIN or not booking.is_changeable:
        return []
    return [chosen.user for chosen in event_type.team_hosts if chosen.user_id != booking.host_id]


def retry_meeting(booking: Booking) -> Meeting | None:
    """Give a confirmed booking another try at its meeting (the dashboard's Retry)."""
    with host_transaction(*booking.host_ids):
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
