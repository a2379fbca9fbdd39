"""Forms for signing up, signing in and the profile."""
from __future__ import annotations

import re

from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from linktime.i18n import language_choices
from linktime.validators import ZoneField, single_line

# Top-level paths of the app: a username may not shadow them in /<username> links.
RESERVED_USERNAMES = frozenset(
    [
        "admin",
        "api",
        "app",
        "auth",
        "booking",
        "bookings",
        "dashboard",
        "event-types",
        "help",
        "integrations",
        "login",
        "logout",
        "brand",
        "mail",
        "photos",
        "privacy",
        "static",
        "settings",
        "signup",
        "team",
        "www",
        "zoom",
        "zones",
        "teams",
        "meetings",
        "jobs",
    ]
)
USERNAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z")


def valid_username(form, field) -> None:
    field.data = (field.data or "").strip().lower()
    if not USERNAME_PATTERN.match(field.data):
        raise ValidationError(
            "Use 1–40 lowercase letters, digits and hyphens (not at the start or end)."
        )
    if field.data in RESERVED_USERNAMES:
        raise ValidationError("That name is reserved; please choose another.")


MIN_PASSWORD = 10


def password_problem(password: str, own: list[str]) -> str | None:
    """Why ``password`` is too weak, or None: under 10 characters, common, or built from ``own`` details."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    from zxcvbn import zxcvbn

    # zxcvbn knows the 30,000 most common passwords, keyboard walks, repeats, dates and l33t.
    verdict = zxcvbn(password[:72], user_inputs=[part for part in own if part])
    if verdict["score"] < 2:
        warning = verdict["feedback"].get("warning") or "This password is easy to guess."
        return f"{warning.rstrip('.')}. Add another word or two that are not about you."
    return None


def strong_password(form, field) -> None:
    own = [str(getattr(form, name).data or "") for name in ("name", "email", "username") if hasattr(form, name)]
    if current_user.is_authenticated:
        own += [current_user.name, current_user.email, current_user.username]
    problem = password_problem(field.data or "", own)
    if problem:
        raise ValidationError(problem)


def new_password_field(label: str) -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=200), strong_password],
                         description=f"At least {MIN_PASSWORD} characters; a few unrelated words work well.")


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100), single_line])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    username = StringField(
        "Username",
        validators=[DataRequired(), valid_username],
        description="Used in your booking links: /<username>/<event>.",
    )
    timezone = ZoneField("Time zone", default="UTC")
    language = SelectField("Language", default="",
                           description="Of your emails from LinkTime; invitees choose their own.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class LooksForm(FlaskForm):
    """How the host's booking pages look."""

    brand_color = StringField("Brand colour", validators=[
        Optional(), Regexp(r"^#[0-9a-fA-F]{6}\Z", message="Choose a colour with the colour picker (#rrggbb).")],
        description="Free days and buttons on your booking pages take this colour, adjusted so text stays readable.")
    own_colors = BooleanField("Go back to LinkTime’s colours")
    photo = FileField("Photo", description="PNG, JPEG, WebP or GIF, up to 8 MB; shown as a 256 px square.")
    remove_photo = BooleanField("Remove my photo")


class SignupForm(ProfileForm):
    password = new_password_field("Password")
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Remember me")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = new_password_field("New password")
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class AddressForm(FlaskForm):
    """Open sign-up's first step, and an admin's invite: just an email address."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
