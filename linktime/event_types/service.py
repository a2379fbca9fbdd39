"""Creating, editing, deactivating and deleting event types."""
from __future__ import annotations

from flask import request
from sqlalchemy import and_, func, select
from wtforms import SelectChoice

from linktime.event_types.forms import (
    DAY_FIELDS,
    OWN_HOURS,
    EventTypeForm,
    format_offsets,
    parse_offsets,
    slugify,
)
from linktime.event_types.questions import MAX_QUESTIONS, Question, new_id, questions_of, stored
from linktime.event_types.schedules import schedules_of
from linktime.extensions import db
from linktime.host_lock import availability_changed
from linktime.models import Booking, BookingStatus, EventType, Location, User, now_utc
from linktime.scheduling.rules import (
    format_hours,
    format_overrides,
    hours_to_json,
    parse_hours,
    parse_overrides,
)


class SlugTaken(Exception):
    pass


class HasUpcomingBookings(Exception):
    def __init__(self, count: int):
        super().__init__(f"{count} upcoming booking(s)")
        self.count = count


def host_event_types(host: User) -> list[EventType]:
    """The host's own event types (a team's are the team's, see teams/)."""
    return list(
        db.session.scalars(
            select(EventType).where(EventType.host_id == host.id, EventType.team_id.is_(None))
            .order_by(EventType.created_at)
        )
    )


def _unique_slug(host: User, wanted: str, exclude_id: int | None, team_id: int | None = None) -> str:
    """``wanted``, or with a number after it if taken: among the host's own event types, or the team's."""
    scope = EventType.team_id == team_id if team_id is not None else and_(EventType.host_id == host.id,
                                                                          EventType.team_id.is_(None))
    taken = set(db.session.scalars(select(EventType.slug).where(scope, EventType.id != (exclude_id or -1))))
    slug, number = wanted, 2
    while slug in taken:
        slug = f"{wanted[:55]}-{number}"
        number += 1
    return slug


def fill_form(form: EventTypeForm, event_type: EventType) -> None:
    """Show an event type's stored hours in the form's text format."""
    availability = event_type.availability
    for index, name in enumerate(DAY_FIELDS):
        getattr(form, name).data = format_hours(availability.weekly.get(index, ()))
    form.date_overrides.data = format_overrides(availability.overrides)
    form.reminders.data = format_offsets(event_type.reminder_offsets or [])
    form.schedule_id.data = event_type.schedule_id or 0
    offer_question_rows(form, questions_of(event_type.questions))


def offer_schedules(form: EventTypeForm, host: User, event_type: EventType | None) -> None:
    """The host's schedules to choose from; a new event type starts on the default one."""
    own = schedules_of(host)
    form.schedule_id.choices = [SelectChoice(0, OWN_HOURS), *(SelectChoice(s.id, s.name) for s in own)]
    if event_type is None and request.method == "GET":
        form.schedule_id.data = next((s.id for s in own if s.is_default), 0)


def offer_question_rows(form: EventTypeForm, asked: list[Question]) -> None:
    """The form's question rows: each question the event type asks, then two empty ones to add more."""
    while form.questions.entries:
        form.questions.pop_entry()
    for number, question in enumerate(asked, 1):
        form.questions.append_entry({"key": question.id, "text": question.label, "kind": question.kind,
                                     "options": "\n".join(question.options), "required": question.required,
                                     "position": number})
    for _ in range(min(2, MAX_QUESTIONS - len(asked))):
        form.questions.append_entry({"position": None})


def save_event_type(host: User, form: EventTypeForm, event_type: EventType | None = None, *,
                    team_id: int | None = None, commit: bool = True) -> EventType:
    """Create or update an event type from a validated form: the host's own, or (``team_id``) a
    team's, with ``host`` its organiser. ``commit=False``: the caller commits."""
    creating = event_type is None
    if event_type is None:
        event_type = EventType(host_id=host.id, team_id=team_id)
    if form.slug.data:
        slug = form.slug.data
        if _unique_slug(host, slug, event_type.id, team_id) != slug:
            raise SlugTaken(slug)
    else:
        slug = event_type.slug or _unique_slug(host, slugify(form.title.data), event_type.id, team_id)
    event_type.slug = slug
    event_type.title = form.title.data.strip()
    event_type.description = (form.description.data or "").strip()
    event_type.duration_minutes = form.duration_minutes.data
    event_type.location = Location(form.location.data).value
    event_type.location_detail = form.location_detail.data or ""
    event_type.weekly_hours = {
        str(index): hours_to_json(parse_hours(getattr(form, name).data))
        for index, name in enumerate(DAY_FIELDS)
        if parse_hours(getattr(form, name).data)
    }
    event_type.date_overrides = {
        day.isoformat(): hours_to_json(hours)
        for day, hours in parse_overrides(form.date_overrides.data).items()
    }
    event_type.min_notice_minutes = form.min_notice_minutes.data or 0
    event_type.buffer_before_minutes = form.buffer_before_minutes.data or 0
    event_type.buffer_after_minutes = form.buffer_after_minutes.data or 0
    event_type.max_per_day = form.max_per_day.data
    event_type.horizon_days = form.horizon_days.data
    event_type.increment_minutes = form.increment_minutes.data
    event_type.seats = form.seats.data
    event_type.repeat_weeks = form.repeat_weeks.data or 0
    event_type.repeat_max = form.repeat_max.data or 4
    event_type.reminder_offsets = parse_offsets(form.reminders.data)
    event_type.remind_host = bool(form.remind_host.data)
    event_type.sms_reminders = bool(form.sms_reminders.data)
    event_type.sms_countries = form.sms_countries.data or ""
    event_type.questions = stored(questions_from_form(form)) or None
    event_type.schedule_id = form.schedule_id.data or None  # the form offers only the host's own schedules
    event_type.max_guests = form.max_guests.data or 0
    event_type.language = form.language.data or ""
    event_type.active = bool(form.active.data)
    if creating:
        db.session.add(event_type)
    availability_changed(host.id)
    if commit:
        db.session.commit()
    return event_type


# What a copy does not take from its original: who it is, and when it was made.
NOT_COPIED = {"id", "slug", "title", "active", "created_at"}


def duplicate_event_type(event_type: EventType) -> EventType:
    """A copy with every setting, titled "… (copy)" under a free slug, off until the host turns it on
    (two identical links on the booking page would confuse invitees)."""
    copy = EventType(**{column.key: getattr(event_type, column.key) for column in EventType.__table__.columns
                        if column.key not in NOT_COPIED})
    copy.title = f"{event_type.title[:93]} (copy)"
    copy.slug = _unique_slug(event_type.host, f"{event_type.slug[:55]}-copy", None, event_type.team_id)
    copy.active = False
    db.session.add(copy)
    db.session.commit()
    return copy


def questions_from_form(form: EventTypeForm) -> list[Question]:
    """The questions the form's rows ask, in the order their numbers give (rows without one after
    those with one, as they stand)."""
    rows = [entry.form for entry in form.questions.entries if (entry.form.text.data or "").strip()]
    rows.sort(key=lambda row: row.position.data if row.position.data is not None else 100)
    return [Question(row.key.data or new_id(), row.text.data.strip(), row.kind.data, bool(row.required.data),
                     tuple(line.strip() for line in (row.options.data or "").splitlines() if line.strip())
                     if row.kind.data == "choice" else ())
            for row in rows[:MAX_QUESTIONS]]


def set_active(event_type: EventType, active: bool) -> None:
    event_type.active = active
    availability_changed(event_type.host_id)
    db.session.commit()


def upcoming_count(event_type: EventType) -> int:
    return db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.event_type_id == event_type.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end > now_utc(),
        )
    ) or 0


def delete_event_type(event_type: EventType) -> None:
    """Delete it; past bookings stay (they keep their own title and location)."""
    count = upcoming_count(event_type)
    if count:
        raise HasUpcomingBookings(count)
    availability_changed(event_type.host_id)
    db.session.delete(event_type)
    db.session.commit()
