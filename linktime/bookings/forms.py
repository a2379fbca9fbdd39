"""Forms an invitee or a host fills in about a booking."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError


class BookingForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(message="Enter a valid email address."), Length(max=254)]
    )
    notes = TextAreaField(
        "Anything that will help prepare for the meeting?",
        validators=[Length(max=2000, message="Please keep notes under 2,000 characters.")],
    )
    phone = StringField(
        "Mobile number for a text reminder (optional)",
        validators=[Length(max=30)],
        description="With country code, e.g. +44 7700 900123.",
    )
    channel = SelectField("Send the reminder by", choices=[SelectChoice("sms", "SMS"), SelectChoice("whatsapp", "WhatsApp")],
                          default="sms")
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
    key = HiddenField()

    def validate_phone(self, field) -> None:
        from linktime.notifications.sms import normalise_phone

        if field.data and field.data.strip():
            number = normalise_phone(field.data)
            if number is None:
                raise ValidationError("Enter the number with its country code, like +44 7700 900123.")
            field.data = number


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional, shared with the other side)",
        validators=[Length(max=1000, message="Please keep the reason under 1,000 characters.")],
    )


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
