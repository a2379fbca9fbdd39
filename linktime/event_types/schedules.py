"""Availability schedules: a host's named weekly hours, shared by event types, with date overrides
(a day off, other hours on a day, a range of days) and a country's public holidays."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_wtf import FlaskForm
from sqlalchemy import func, select, update
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from linktime.event_types.forms import DAY_FIELDS, valid_hours
from linktime.extensions import db
from linktime.host_lock import availability_changed, host_transaction
from linktime.i18n import current_locale
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
from linktime.models import EventType, Schedule, User, now_utc
from linktime.models.schedules import holiday_countries
from linktime.scheduling.rules import WEEKDAYS, WorkingHours, format_hours, hours_from_json, hours_to_json, parse_hours
from linktime.validators import single_line

LONGEST_RANGE = 366  # days one override may cover
WORKING_WEEK = {str(day): [["09:00", "17:00"]] for day in range(5)}


class ScheduleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), single_line])
    monday = StringField(_l("Monday"), validators=[valid_hours])
    tuesday = StringField(_l("Tuesday"), validators=[valid_hours])
    wednesday = StringField(_l("Wednesday"), validators=[valid_hours])
    thursday = StringField(_l("Thursday"), validators=[valid_hours])
    friday = StringField(_l("Friday"), validators=[valid_hours])
    saturday = StringField(_l("Saturday"), validators=[valid_hours])
    sunday = StringField(_l("Sunday"), validators=[valid_hours])
    holiday_country = SelectField(_l("Public holidays off"), default="",
                                  description=_l("Those days are closed on every event type using this schedule."))
    is_default = BooleanField(_l("Default schedule (new event types use it)"))

    day_fields = DAY_FIELDS
    weekday_names = WEEKDAYS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = holiday_countries(current_locale())
        self.holiday_country.choices = [SelectChoice("", _("None")),
                                        *(SelectChoice(code, name) for code, name in countries.items())]


class NewScheduleForm(FlaskForm):
    name = StringField(_l("Name of the new schedule"), validators=[DataRequired(), Length(max=100), single_line])


class OverrideForm(FlaskForm):
    first = DateField(_l("From"), validators=[DataRequired(message=_l("Pick a day."))])
    last = DateField(_l("To (for several days)"), validators=[Optional()])
    kind = RadioField(_l("On those days"), default="off",
                      choices=[SelectChoice("off", _l("Unavailable")), SelectChoice("hours", _l("Other hours"))])
    hours = StringField(_l("Hours"), validators=[valid_hours],
                        description=_l("e.g. %(example)s", example="09:00-12:00, 14:00-16:00"))

    def validate_last(self, field) -> None:
        if field.data and self.first.data:
            if field.data < self.first.data:
                raise ValidationError(_("Pick a day on or after the first."))
            if (field.data - self.first.data).days >= LONGEST_RANGE:
                raise ValidationError(_("At most %(num)d days at once.", num=LONGEST_RANGE))

    def validate_hours(self, field) -> None:
        if self.kind.data == "hours" and not parse_hours(field.data or ""):
            raise ValidationError(_("Give the hours, e.g. %(example)s.", example="09:00-12:00"))


@dataclass(frozen=True)
class OverrideRun:
    """Consecutive days with the same hours, shown (and removed) as one."""

    first: date
    last: date
    hours: WorkingHours


def schedules_of(user: User) -> list[Schedule]:
    return list(db.session.scalars(select(Schedule).where(Schedule.user_id == user.id)
                                   .order_by(Schedule.is_default.desc(), Schedule.name)))


def default_schedule(user: User) -> Schedule | None:
    return db.session.scalar(select(Schedule).where(Schedule.user_id == user.id, Schedule.is_default))


def users_of(schedule: Schedule) -> int:
    """How many event types keep this schedule's hours."""
    return db.session.scalar(select(func.count(EventType.id)).where(EventType.schedule_id == schedule.id)) or 0


def create_schedule(user: User, name: str) -> Schedule:
    """A new schedule, weekdays 9 to 5 to begin with; a host's first is their default (the host's
    lock first: two made at once by two processes do not both become it)."""
    with host_transaction(user.id):
        schedule = Schedule(user_id=user.id, name=name.strip(), weekly_hours=dict(WORKING_WEEK), date_overrides={},
                            holiday_country="", is_default=default_schedule(user) is None)
        db.session.add(schedule)
    return schedule


def fill_form(form: ScheduleForm, schedule: Schedule) -> None:
    for index, name in enumerate(DAY_FIELDS):
        getattr(form, name).data = format_hours(hours_from_json((schedule.weekly_hours or {}).get(str(index), [])))


def save_schedule(schedule: Schedule, form: ScheduleForm) -> None:
    """Store the name, week, holidays and default; every page of event types using it follows at once."""
    schedule.name = form.name.data.strip()
    schedule.weekly_hours = {str(index): hours_to_json(parse_hours(getattr(form, name).data))
                             for index, name in enumerate(DAY_FIELDS) if parse_hours(getattr(form, name).data)}
    schedule.holiday_country = form.holiday_country.data or ""
    with host_transaction(schedule.user_id):  # one default, whoever else sets one meanwhile
        if form.is_default.data and not schedule.is_default:
            db.session.execute(update(Schedule).where(Schedule.user_id == schedule.user_id, Schedule.id != schedule.id)
                               .values(is_default=False))
            schedule.is_default = True


def add_override(schedule: Schedule, first: date, last: date | None, hours: WorkingHours) -> None:
    """Other hours (none: a day off) on ``first`` or on every day from ``first`` to ``last``."""
    overrides = dict(schedule.date_overrides or {})
    for offset in range(((last or first) - first).days + 1):
        overrides[(first + timedelta(days=offset)).isoformat()] = hours_to_json(hours)
    schedule.date_overrides = overrides
    availability_changed(schedule.user_id)
    db.session.commit()


def remove_override(schedule: Schedule, first: date, last: date) -> None:
    overrides = {day: hours for day, hours in (schedule.date_overrides or {}).items()
                 if not first.isoformat() <= day <= last.isoformat()}
    schedule.date_overrides = overrides
    availability_changed(schedule.user_id)
    db.session.commit()


def override_runs(schedule: Schedule, *, since: date | None = None) -> list[OverrideRun]:
    """The overrides from ``since`` (today) on, consecutive days with the same hours as one run."""
    start = since or now_utc().date()
    runs: list[OverrideRun] = []
    for day, hours in sorted((date.fromisoformat(k), hours_from_json(v))
                             for k, v in (schedule.date_overrides or {}).items()):
        if day < start:
            continue
        if runs and runs[-1].last + timedelta(days=1) == day and runs[-1].hours == hours:
            runs[-1] = OverrideRun(runs[-1].first, day, hours)
        else:
            runs.append(OverrideRun(day, day, hours))
    return runs


class ScheduleInUse(Exception):
    def __init__(self, count: int):
        super().__init__(f"used by {count} event type(s)")
        self.count = count


def delete_schedule(schedule: Schedule) -> None:
    """Delete a schedule no event type uses (one that does would silently fall back to old hours)."""
    count = users_of(schedule)
    if count:
        raise ScheduleInUse(count)
    was_default = schedule.is_default
    user_id = schedule.user_id
    db.session.delete(schedule)
    db.session.flush()
    if was_default:  # another becomes the default, if there is one
        other = db.session.scalar(select(Schedule).where(Schedule.user_id == user_id).order_by(Schedule.id))
        if other is not None:
            other.is_default = True
    availability_changed(user_id)
    db.session.commit()
