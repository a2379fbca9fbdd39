"""Forms an invitee or a host fills in about a booking."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from flask import current_app, session
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from linktime.event_types.questions import Question, answer_field, parse_guests, questions_of
from linktime.i18n import lazy_gettext as _l
from linktime.models import EventType
from linktime.notifications.sms import NotAMobile, normalise_phone
from linktime.validators import single_line


class CountField(SelectField):
    """A choice of how many, said plainly when a request carries something else."""

    MESSAGE = _l("Choose how many sessions from the list.")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.MESSAGE) from None

    def pre_validate(self, form):
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise ValidationError(self.MESSAGE)


def reason_field() -> TextAreaField:
    """Why a booking is cancelled or moved, in the words of whoever does it, for the other side."""
    return TextAreaField(_l("Reason (optional, shared with the other side)"),
                         validators=[Length(max=1000, message=_l("Please keep the reason under 1,000 characters."))])


class BookingForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100), single_line])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)]
    )
    notes = TextAreaField(
        _l("Anything that will help prepare for the meeting?"),
        validators=[Length(max=2000, message=_l("Please keep notes under 2,000 characters."))],
    )
    phone = StringField(
        _l("Mobile number for a text reminder (optional)"),
        validators=[Length(max=30)],
        description=_l("A mobile number with its country code, e.g. +44 7400 123456."),
    )
    channel = SelectField(
        _l("Send the reminder by"),
        choices=[SelectChoice("sms", "SMS"), SelectChoice("whatsapp", "WhatsApp")],
        default="sms",
    )
    start = HiddenField(validators=[DataRequired()])
    taken = HiddenField()  # the time just lost to someone else, while the invitee chooses another
    tz = HiddenField()
    key = HiddenField()
    sessions = CountField(_l("Sessions"), coerce=int, default=1, choices=[SelectChoice(1, _l("Just this one"))])
    guests = TextAreaField(_l("Guests (optional)"), validators=[Length(max=3000)])
    all_or_nothing = BooleanField(_l("Only book if every session is free"))

    # The countries whose mobile numbers may get texts: the event type's, set by the view.
    sms_regions: Sequence[str] = ()
    # The event type's questions, in order, and how many guests it allows (booking_form_class).
    questions: Sequence[Question] = ()
    max_guests = 0
    guest_list: Sequence[str] = ()

    def validate_guests(self, field) -> None:
        if not self.max_guests:  # not offered: whatever was sent is not read
            return
        try:
            self.guest_list = parse_guests(field.data or "", self.max_guests, self.email.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @property
    def answer_fields(self) -> list:
        return [getattr(self, question.field_name) for question in self.questions]

    def validate_phone(self, field) -> None:
        if field.data and field.data.strip():
            try:
                field.data = normalise_phone(field.data.strip(), self.sms_regions)
            except NotAMobile as exc:
                raise ValidationError(str(exc)) from None


def booking_form_class(event_type: EventType) -> type[BookingForm]:
    """The booking form of one event type: the fixed fields, its own questions, and guests if it allows them."""
    questions = questions_of(event_type.questions)
    fields: dict = {question.field_name: answer_field(question) for question in questions}
    fields.update(questions=tuple(questions), max_guests=event_type.max_guests)
    if not questions and not event_type.max_guests:
        return BookingForm
    return type("EventTypeBookingForm", (BookingForm,), fields)


FORM_BINDING = "booking_form_binding"


def _sign(binding: str, nonce: str) -> str:
    message = f"booking-form:{binding}:{nonce}".encode()
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message, hashlib.sha256).hexdigest()[:32]


def issue_form_key() -> str:
    """A key for one rendered booking form, bound to this browser's session.

    Sending the form again with it returns the booking it made (a double submit books once);
    nothing else ever returns an existing booking to a requester.
    """
    binding = session.setdefault(FORM_BINDING, secrets.token_urlsafe(16))
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_sign(binding, nonce)}"


def checked_form_key(value: str | None) -> str | None:
    """The key if this session issued it, else None (a missing, foreign or forged key)."""
    binding = session.get(FORM_BINDING)
    if not value or not binding or len(value) > 64 or value.count(".") != 1:
        return None
    nonce, signature = value.split(".")
    return value if hmac.compare_digest(signature, _sign(binding, nonce)) else None


class CancelForm(FlaskForm):
    reason = reason_field()
    rest = BooleanField(_l("Also cancel every later session of this series"))


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
    reason = reason_field()
