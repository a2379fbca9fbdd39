"""The event type form: what, where, when and the booking rules."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from linktime.event_types.questions import KINDS, MAX_GUESTS, MAX_OPTIONS, MAX_QUESTIONS
from linktime.i18n import gettext as _
from linktime.i18n import language_choices
from linktime.i18n import lazy_gettext as _l
from linktime.models import LOCATION_LABELS, Location
from linktime.notifications.sms import parse_regions
from linktime.scheduling.rules import WEEKDAYS, HoursError, parse_hours, parse_overrides
from linktime.validators import single_line

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?\Z")
DAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "event"


def valid_hours(form, field) -> None:
    try:
        parse_hours(field.data)
    except HoursError as exc:
        raise ValidationError(exc.said(_)) from None


def valid_overrides(form, field) -> None:
    try:
        parse_overrides(field.data)
    except HoursError as exc:
        raise ValidationError(exc.said(_)) from None


_OFFSET = re.compile(r"^(\d+)\s*(d|days?|h|hours?|m|min|minutes?)$")
_UNIT = {"d": 1440, "h": 60, "m": 1}


def parse_offsets(text: str) -> list[int]:
    """'24h, 1h' → [1440, 60] (minutes before the start), largest first."""
    offsets = set()
    for part in re.split(r"[,;]", text or ""):
        part = part.strip().lower()
        if not part:
            continue
        match = _OFFSET.match(part)
        if not match:
            raise ValueError(_("“%(part)s” should look like 24h, 1h or 30m", part=part))
        minutes = int(match[1]) * _UNIT[match[2][0]]
        if not 5 <= minutes <= 30 * 1440:
            raise ValueError(_("“%(part)s”: reminders go from 5 minutes to 30 days before", part=part))
        offsets.add(minutes)
    if len(offsets) > 5:
        raise ValueError(_("at most 5 reminders"))
    return sorted(offsets, reverse=True)


def format_offsets(offsets: list[int]) -> str:
    def one(minutes: int) -> str:
        for unit, size in (("d", 1440), ("h", 60)):
            if minutes % size == 0:
                return f"{minutes // size}{unit}"
        return f"{minutes}m"

    return ", ".join(one(m) for m in sorted(offsets, reverse=True))


def valid_offsets(form, field) -> None:
    try:
        parse_offsets(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def minutes(label: Any, *, low: int, high: int, default: int, description: Any = "") -> IntegerField:
    return IntegerField(
        label,
        default=default,
        description=description,
        validators=[
            InputRequired(message=_l("Enter a whole number.")) if low > 0 else Optional(),
            NumberRange(low, high, message=_l("Enter a number from %(low)d to %(high)d.", low=low, high=high)),
        ],
    )


OWN_HOURS = _l("Its own hours, below")


class ScheduleField(SelectField):
    """The schedule an event type keeps, by id; none (no schedule, or a form sent without the field) is 0."""

    def process_data(self, value) -> None:
        super().process_data(value or 0)


class QuestionForm(Form):
    """One question of the booking form; a row left without words is no question."""

    key = HiddenField()  # the question's own id, kept when it is reworded or moved
    text = StringField(_l("Question"), validators=[Length(max=200), single_line])
    kind = SelectField(_l("Answer"), choices=[SelectChoice(key, label) for key, label in KINDS.items()],
                       default="short")
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=2000)])
    required = BooleanField(_l("Required"))
    position = IntegerField(_l("Order"), validators=[Optional(), NumberRange(1, 99, message=_l("Enter 1 to 99."))])

    def validate_options(self, field) -> None:
        options = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if self.kind.data == "choice" and (self.text.data or "").strip() and len(options) < 2:
            raise ValidationError(_("Give at least two options, one per line."))
        if len(options) > MAX_OPTIONS:
            raise ValidationError(_("At most %(num)d options.", num=MAX_OPTIONS))


# Candidate start times in one booking window: a year of 5-minute steps.
MAX_WINDOW_STARTS = 365 * 1440 // 5


class EventTypeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100), single_line])
    slug = StringField(
        _l("URL slug"),
        validators=[Optional(), Length(max=60)],
        description=_l("The last part of the booking link. Leave empty to make one from the title."),
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    duration_minutes = minutes(_l("Duration (minutes)"), low=5, high=720, default=30)
    location = SelectField(
        _l("Location"),
        choices=[SelectChoice(kind.value, LOCATION_LABELS[kind]) for kind in Location],
        default=Location.NONE.value,
    )
    location_detail = StringField(
        _l("Address, phone number or link"),
        validators=[Length(max=500)],
        description=_l("The address for In person, your number for Phone call, the URL for Custom link."),
    )
    schedule_id = ScheduleField(_l("Hours"), coerce=int, default=0, choices=[SelectChoice(0, OWN_HOURS)],
                           description=_l("A schedule is shared: change it once (Settings → Availability) and every "
                                       "event type using it follows."))
    monday = StringField(_l("Monday"), default="09:00-17:00", validators=[valid_hours])
    tuesday = StringField(_l("Tuesday"), default="09:00-17:00", validators=[valid_hours])
    wednesday = StringField(_l("Wednesday"), default="09:00-17:00", validators=[valid_hours])
    thursday = StringField(_l("Thursday"), default="09:00-17:00", validators=[valid_hours])
    friday = StringField(_l("Friday"), default="09:00-17:00", validators=[valid_hours])
    saturday = StringField(_l("Saturday"), default="", validators=[valid_hours])
    sunday = StringField(_l("Sunday"), default="", validators=[valid_hours])
    date_overrides = TextAreaField(
        _l("Date overrides"),
        validators=[Length(max=20000), valid_overrides],
        description=_l("One per line: “2026-12-24 off” or “2026-12-31 09:00-12:00”."),
    )
    min_notice_minutes = minutes(
        _l("Minimum notice (minutes)"), low=0, high=525600, default=240,
        description=_l("How soon before a slot it can still be booked."),
    )
    buffer_before_minutes = minutes(_l("Buffer before (minutes)"), low=0, high=720, default=0)
    buffer_after_minutes = minutes(_l("Buffer after (minutes)"), low=0, high=720, default=0)
    max_per_day = IntegerField(
        _l("Max bookings per day"),
        validators=[Optional(), NumberRange(1, 1000, message=_l("Enter a number from %(low)d to %(high)d.",
                                                                low=1, high=1000))],
        description=_l("Leave empty for no limit."),
    )
    horizon_days = minutes(
        _l("Bookable up to (days ahead)"), low=1, high=730, default=60,
    )
    increment_minutes = minutes(
        _l("Start times every (minutes)"), low=5, high=720, default=30,
    )
    seats = minutes(
        _l("Seats per slot"), low=1, high=1000, default=1,
        description=_l("1 for one-to-one meetings; more for a group event."),
    )
    repeat_weeks = SelectField(
        _l("Recurring bookings"),
        choices=[SelectChoice("0", _l("Not offered")), SelectChoice("1", _l("Weekly")),
                 *(SelectChoice(str(n), _l("Every %(num)d weeks", num=n)) for n in (2, 3, 4))],
        default="0", coerce=int,
        description=_l("Invitees may book a series of sessions at the same time, each with its own meeting link."),
    )
    repeat_max = IntegerField(_l("Sessions in a series, at most"), default=4,
                              validators=[Optional(), NumberRange(2, 12, message=_l(
                                  "Enter a number from %(low)d to %(high)d.", low=2, high=12))])
    reminders = StringField(
        _l("Reminders before the start"),
        default="24h, 1h",
        validators=[Length(max=100), valid_offsets],
        description=_l("Emailed to the invitee, e.g. “24h, 1h” or “30m”. Leave empty for none."),
    )
    remind_host = BooleanField(_l("Also remind me (the host)"), default=False)
    sms_reminders = BooleanField(_l("Offer SMS / WhatsApp reminders to invitees"), default=False)
    sms_countries = StringField(
        _l("Countries for text reminders"), validators=[Length(max=200)],
        description=_l("Two-letter codes, e.g. “US, GB”: only mobile numbers from these countries get texts."),
    )
    questions = FieldList(FormField(QuestionForm), max_entries=MAX_QUESTIONS + 2)
    max_guests = IntegerField(
        _l("Guests an invitee may add"), default=0,
        validators=[Optional(), NumberRange(0, MAX_GUESTS, message=_l(
            "Enter a number from %(low)d to %(high)d.", low=0, high=MAX_GUESTS))],
        description=_l("Their addresses get the invitation and the meeting link. 0 for none."))
    language = SelectField(
        _l("Language of its pages"), default="",
        description=_l("For invitees whose browser asks for none of LinkTime’s languages; anyone can switch."))
    active = BooleanField(_l("Active (bookable through its link)"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()

    day_fields = DAY_FIELDS
    weekday_names = WEEKDAYS

    def validate_horizon_days(self, field) -> None:
        """A window is at most a year of 5-minute steps (longer steps allow longer windows)."""
        step = self.increment_minutes.data
        if field.data and step and field.data * 1440 / step > MAX_WINDOW_STARTS:
            longest = int(MAX_WINDOW_STARTS * step / 1440)
            raise ValidationError(_("With start times every %(step)d minutes, the window can be at most %(longest)d "
                                    "days. Use longer steps or a shorter window.", step=step, longest=longest))

    def validate_questions(self, field) -> None:
        if sum(1 for row in field.entries if (row.form.text.data or "").strip()) > MAX_QUESTIONS:
            raise ValidationError(_("At most %(num)d questions.", num=MAX_QUESTIONS))

    def validate_sms_countries(self, field) -> None:
        try:
            codes = parse_regions(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if self.sms_reminders.data and not codes:
            raise ValidationError(_("List at least one country, e.g. US, GB."))
        field.data = ", ".join(codes)

    def validate_slug(self, field) -> None:
        if field.data:
            field.data = field.data.strip().lower()
            if not SLUG_PATTERN.match(field.data):
                raise ValidationError(_("Use lowercase letters, digits and hyphens."))

    def validate_location_detail(self, field) -> None:
        kind = self.location.data
        field.data = (field.data or "").strip()
        if kind == Location.IN_PERSON and not field.data:
            raise ValidationError(_("Enter the address where you will meet."))
        if kind == Location.CUSTOM_LINK:
            parts = urlsplit(field.data)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ValidationError(_("Enter a link starting with https://"))
