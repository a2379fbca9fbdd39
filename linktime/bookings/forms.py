"""Forms an invitee or a host fills in about a booking."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class BookingForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(message="Enter a valid email address."), Length(max=254)]
    )
    notes = TextAreaField(
        "Anything that will help prepare for the meeting?",
        validators=[Length(max=2000, message="Please keep notes under 2,000 characters.")],
    )
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
    key = HiddenField()


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional, shared with the other side)",
        validators=[Length(max=1000, message="Please keep the reason under 1,000 characters.")],
    )


class RescheduleForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
    tz = HiddenField()
