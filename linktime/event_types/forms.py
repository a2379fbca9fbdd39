"""The event type form: what, where, when and the booking rules."""
from __future__ import annotations

import re
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
from linktime.i18n import language_choices
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
        raise ValidationError(str(exc)) from None


def valid_overrides(form, field) -> None:
    try:
        parse_overrides(field.data)
    except HoursError as exc:
        raise ValidationError(str(exc)) from None


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
            raise ValueError(f"“{part}” should look like 24h, 1h or 30m")
        minutes = int(match[1]) * _UNIT[match[2][0]]
        if not 5 <= minutes <= 30 * 1440:
            raise ValueError(f"“{part}”: reminders go from 5 minutes to 30 days before")
        offsets.add(minutes)
    if len(offsets) > 5:
        raise ValueError("at most 5 reminders")
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


def minutes(label: str, *, low: int, high: int, default: int, description: str = "") -> IntegerField:
    return IntegerField(
        label,
        default=default,
        description=description,
        validators=[
            InputRequired(message="Enter a whole number.") if low > 0 else Optional(),
            NumberRange(low, high, message=f"Enter a number from {low} to {high}."),
        ],
    )


OWN_HOURS = "Its own hours, below"


class ScheduleField(SelectField):
    """The schedule an event type keeps, by id; none (no schedule, or a form sent without the field) is 0."""

    def process_data(self, value) -> None:
        super().process_data(value or 0)


class QuestionForm(Form):
    """One question of the booking form; a row left without words is no question."""

    key = HiddenField()  # the question's own id, kept when it is reworded or moved
    text = StringField("Question", validators=[Length(max=200), single_line])
    kind = SelectField("Answer", choices=[SelectChoice(key, label) for key, label in KINDS.items()], default="short")
    options = TextAreaField("Options, one per line", validators=[Length(max=2000)])
    required = BooleanField("Required")
    position = IntegerField("Order", validators=[Optional(), NumberRange(1, 99, message="Enter 1 to 99.")])

    def validate_options(self, field) -> None:
        options = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
        if self.kind.data == "choice" and (self.text.data or "").strip() and len(options) < 2:
            raise ValidationError("Give at least two options, one per line.")
        if len(options) > MAX_OPTIONS:
            raise ValidationError(f"At most {MAX_OPTIONS} options.")


# Candidate start times in one booking window: a year of 5-minute steps.
MAX_WINDOW_STARTS = 365 * 1440 // 5


class EventTypeForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=100), single_line])
    slug = StringField(
        "URL slug",
        validators=[Optional(), Length(max=60)],
        description="The last part of the booking link. Leave empty to make one from the title.",
    )
    description = TextAreaField("Description", validators=[Length(max=5000)])
    duration_minutes = minutes("Duration (minutes)", low=5, high=720, default=30)
    location = SelectField(
        "Location",
        choices=[SelectChoice(kind.value, LOCATION_LABELS[kind]) for kind in Location],
        default=Location.NONE.value,
    )
    location_detail = StringField(
        "Address, phone number or link",
        validators=[Length(max=500)],
        description="The address for In person, your number for Phone call, the URL for Custom link.",
    )
    schedule_id = ScheduleField("Hours", coerce=int, default=0, choices=[SelectChoice(0, OWN_HOURS)],
                           description="A schedule is shared: change it once (Settings → Availability) and every "
                                       "event type using it follows.")
    monday = StringField("Monday", default="09:00-17:00", validators=[valid_hours])
    tuesday = StringField("Tuesday", default="09:00-17:00", validators=[valid_hours])
    wednesday = StringField("Wednesday", default="09:00-17:00", validators=[valid_hours])
    thursday = StringField("Thursday", default="09:00-17:00", validators=[valid_hours])
    friday = StringField("Friday", default="09:00-17:00", validators=[valid_hours])
    saturday = StringField("Saturday", default="", validators=[valid_hours])
    sunday = StringField("Sunday", default="", validators=[valid_hours])
    date_overrides = TextAreaField(
        "Date overrides",
        validators=[Length(max=20000), valid_overrides],
        description="One per line: “2026-12-24 off” or “2026-12-31 09:00-12:00”.",
    )
    min_notice_minutes = minutes(
        "Minimum notice (minutes)", low=0, high=525600, default=240,
        description="How soon before a slot it can still be booked.",
    )
    buffer_before_minutes = minutes("Buffer before (minutes)", low=0, high=720, default=0)
    buffer_after_minutes = minutes("Buffer after (minutes)", low=0, high=720, default=0)
    max_per_day = IntegerField(
        "Max bookings per day",
        validators=[Optional(), NumberRange(1, 1000, message="Enter a number from 1 to 1000.")],
        description="Leave empty for no limit.",
    )
    horizon_days = minutes(
        "Bookable up to (days ahead)", low=1, high=730, default=60,
    )
    increment_minutes = minutes(
        "Start times every (minutes)", low=5, high=720, default=30,
    )
    seats = minutes(
        "Seats per slot", low=1, high=1000, default=1,
        description="1 for one-to-one meetings; more for a group event.",
    )
    repeat_weeks = SelectField(
        "Recurring bookings",
        choices=[SelectChoice("0", "Not offered"), SelectChoice("1", "Weekly"),
                 *(SelectChoice(str(n), f"Every {n} weeks") for n in (2, 3, 4))],
        default="0", coerce=int,
        description="Invitees may book a series of sessions at the same time, each with its own meeting link.",
    )
    repeat_max = IntegerField("Sessions in a series, at most", default=4,
                              validators=[Optional(), NumberRange(2, 12, message="Enter a number from 2 to 12.")])
    reminders = StringField(
        "Reminders before the start",
        default="24h, 1h",
        validators=[Length(max=100), valid_offsets],
        description="Emailed to the invitee, e.g. “24h, 1h” or “30m”. Leave empty for none.",
    )
    remind_host = BooleanField("Also remind me (the host)", default=False)
    sms_reminders = BooleanField("Offer SMS / WhatsApp reminders to invitees", default=False)
    sms_countries = StringField(
        "Countries for text reminders", validators=[Length(max=200)],
        description="Two-letter codes, e.g. “US, GB”: only mobile numbers from these countries get texts.",
    )
    questions = FieldList(FormField(QuestionForm), max_entries=MAX_QUESTIONS + 2)
    max_guests = IntegerField(
        "Guests an invitee may add", default=0,
        validators=[Optional(), NumberRange(0, MAX_GUESTS, message=f"Enter a number from 0 to {MAX_GUESTS}.")],
        description="Their addresses get the invitation and the meeting link. 0 for none.")
    language = SelectField(
        "Language of its pages", default="",
        description="For invitees whose browser asks for none of LinkTime’s languages; anyone can switch.")
    active = BooleanField("Active (bookable through its link)", default=True)

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
            raise ValidationError(f"With start times every {step} minutes, the window can be at most "
                                  f"{longest} days. Use longer steps or a shorter window.")

    def validate_questions(self, field) -> None:
        if sum(1 for row in field.entries if (row.form.text.data or "").strip()) > MAX_QUESTIONS:
            raise ValidationError(f"At most {MAX_QUESTIONS} questions.")

    def validate_sms_countries(self, field) -> None:
        try:
            codes = parse_regions(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if self.sms_reminders.data and not codes:
            raise ValidationError("List at least one country, e.g. US, GB.")
        field.data = ", ".join(codes)

    def validate_slug(self, field) -> None:
        if field.data:
            field.data = field.data.strip().lower()
            if not SLUG_PATTERN.match(field.data):
                raise ValidationError("Use lowercase letters, digits and hyphens.")

    def validate_location_detail(self, field) -> None:
        kind = self.location.data
        field.data = (field.data or "").strip()
        if kind == Location.IN_PERSON and not field.data:
            raise ValidationError("Enter the address where you will meet.")
        if kind == Location.CUSTOM_LINK:
            parts = urlsplit(field.data)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ValidationError("Enter a link starting with https://")
