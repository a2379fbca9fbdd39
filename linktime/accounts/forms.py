"""Forms for signing up, signing in and the profile."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from linktime.formatting import all_timezones
from linktime.validators import single_line

# Top-level paths of the app: a username may not shadow them in /<username> links.
RESERVED_USERNAMES = frozenset(
    "admin api app auth booking bookings dashboard event-types help integrations login logout "
    "mail static settings signup team www zoom".split()
)
USERNAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def valid_username(form, field) -> None:
    field.data = (field.data or "").strip().lower()
    if not USERNAME_PATTERN.match(field.data):
        raise ValidationError(
            "Use 1–40 lowercase letters, digits and hyphens (not at the start or end)."
        )
    if field.data in RESERVED_USERNAMES:
        raise ValidationError("That name is reserved; please choose another.")


def timezone_field(label: str = "Time zone") -> SelectField:
    return SelectField(
        label,
        choices=[SelectChoice(name, name.replace("_", " ")) for name in all_timezones()],
        validators=[DataRequired()],
        default="UTC",
    )


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100), single_line])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    username = StringField(
        "Username",
        validators=[DataRequired(), valid_username],
        description="Used in your booking links: /<username>/<event>.",
    )
    timezone = timezone_field()


class SignupForm(ProfileForm):
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=8, max=200, message="Use at least 8 characters.")],
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Remember me")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=8, max=200, message="Use at least 8 characters.")],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
