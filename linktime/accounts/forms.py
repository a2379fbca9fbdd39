"""Forms for signing up, signing in and the profile."""
from __future__ import annotations

import re
from typing import Any

from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from linktime.i18n import current_language, language_choices
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
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
        "feeds",
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
            _("Use 1–40 lowercase letters, digits and hyphens (not at the start or end).")
        )
    if field.data in RESERVED_USERNAMES:
        raise ValidationError(_("That name is reserved; please choose another."))


MIN_PASSWORD = 10


def password_problem(password: str, own: list[str]) -> str | None:
    """Why ``password`` is too weak, or None: under 10 characters, common, or built from ``own`` details."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(num)d characters.", num=MIN_PASSWORD)
    from zxcvbn import zxcvbn

    # zxcvbn knows the 30,000 most common passwords, keyboard walks, repeats, dates and l33t.
    verdict = zxcvbn(password[:72], user_inputs=[part for part in own if part])
    if verdict["score"] < 2:
        # zxcvbn's own warnings are English: other languages get the plain verdict.
        warning = (verdict["feedback"].get("warning") if current_language() == "en" else None) or _(
            "This password is easy to guess.")
        return _("%(warning)s. Add another word or two that are not about you.", warning=warning.rstrip("."))
    return None


def strong_password(form, field) -> None:
    own = [str(getattr(form, name).data or "") for name in ("name", "email", "username") if hasattr(form, name)]
    if current_user.is_authenticated:
        own += [current_user.name, current_user.email, current_user.username]
    problem = password_problem(field.data or "", own)
    if problem:
        raise ValidationError(problem)


def new_password_field(label: Any) -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=200), strong_password],
                         description=_l("At least %(num)d characters; a few unrelated words work well.",
                                        num=MIN_PASSWORD))


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100), single_line])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), valid_username],
        description=_l("Used in your booking links: /<username>/<event>."),
    )
    timezone = ZoneField(_l("Time zone"), default="UTC")
    language = SelectField(_l("Language"), default="",
                           description=_l("Of your emails from LinkTime; invitees choose their own."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class LooksForm(FlaskForm):
    """How the host's booking pages look."""

    brand_color = StringField(_l("Brand colour"), validators=[
        Optional(), Regexp(r"^#[0-9a-fA-F]{6}\Z", message=_l("Choose a colour with the colour picker (#rrggbb)."))],
        description=_l("Free days and buttons on your booking pages take this colour, adjusted so text stays "
                       "readable."))
    own_colors = BooleanField(_l("Go back to LinkTime’s colours"))
    photo = FileField(_l("Photo"), description=_l("PNG, JPEG, WebP or GIF, up to 8 MB; shown as a 256 px square."))
    remove_photo = BooleanField(_l("Remove my photo"))


class SignupForm(ProfileForm):
    password = new_password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class AddressForm(FlaskForm):
    """Open sign-up's first step, and an admin's invite: just an email address."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
