"""Booking questions of the host's own (short or long text, a choice, a checkbox, a phone number)
and the guests an invitee may bring: how they are stored on an event type, asked on the booking
form, and kept on a booking as answered."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import phonenumbers
from wtforms import BooleanField, Field, RadioField, SelectChoice, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from linktime.i18n import gettext, ngettext
from linktime.i18n import lazy_gettext as _l
from linktime.validators import single_line

KINDS = {"short": _l("Short text"), "long": _l("Long text"), "choice": _l("Choice of options"),
         "checkbox": _l("Checkbox"), "phone": _l("Phone number")}
MAX_QUESTIONS = 10
MAX_OPTIONS = 20
MAX_GUESTS = 10  # the most a host may allow per booking: each guest is emailed
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+\Z")


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    kind: str
    required: bool
    options: tuple[str, ...] = ()

    @property
    def field_name(self) -> str:
        return f"answer_{self.id}"


def questions_of(stored: list | None) -> list[Question]:
    """An event type's questions, in order, from what is stored (anything malformed is skipped)."""
    found = []
    for item in stored or []:
        if isinstance(item, dict) and item.get("kind") in KINDS and str(item.get("label", "")).strip():
            found.append(Question(str(item.get("id") or secrets.token_hex(4)), str(item["label"]), item["kind"],
                                  bool(item.get("required")), tuple(str(o) for o in item.get("options") or ())))
    return found


def stored(questions: list[Question]) -> list[dict[str, Any]]:
    return [{"id": q.id, "label": q.label, "kind": q.kind, "required": q.required, "options": list(q.options)}
            for q in questions]


def new_id() -> str:
    return secrets.token_hex(4)


def _one_of(options: tuple[str, ...]):
    def check(form, field) -> None:
        if field.data and field.data not in options:
            raise ValidationError(gettext("Choose one of the options."))
    return check


def _phone(form, field) -> None:
    text = (field.data or "").strip()
    if not text:
        return
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(gettext("Enter the number with its country code, e.g. +44 20 7946 0018."))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def answer_field(question: Question) -> Field:
    """The booking form's field for one question."""
    needed = [DataRequired(message=_l("Please answer this question."))] if question.required else [Optional()]
    if question.kind == "long":
        return TextAreaField(question.label, validators=[*needed, Length(max=2000)])
    if question.kind == "choice":
        return RadioField(question.label, choices=[SelectChoice(o, o) for o in question.options], validate_choice=False,
                          validators=[*needed, _one_of(question.options)])
    if question.kind == "checkbox":
        return BooleanField(question.label,
                            validators=[DataRequired(message=_l("Please tick this box to go on."))] if question.required
                            else [])
    if question.kind == "phone":
        return TelField(question.label, validators=[*needed, Length(max=40), _phone])
    return StringField(question.label, validators=[*needed, Length(max=500), single_line])


def answers_from(form, questions: list[Question]) -> list[dict[str, str]]:
    """What the invitee answered, as the booking keeps it: each question's words with its answer
    (a question changed later does not change what was asked)."""
    kept = []
    for question in questions:
        value = getattr(form, question.field_name).data
        if question.kind == "checkbox":
            text = "Yes" if value else "No"  # kept for the host, in the host's words
        else:
            text = (value or "").strip()
        if text:
            kept.append({"question": question.label, "kind": question.kind, "answer": text})
    return kept


def parse_guests(text: str, limit: int, invitee_email: str = "") -> list[str]:
    """The guests' addresses from what the invitee typed (one per line, or separated by commas),
    without repeats or the invitee's own; ValueError says what is wrong."""
    found: list[str] = []
    for part in re.split(r"[\s,;]+", text or ""):
        address = part.strip().strip("<>").lower()
        if not address:
            continue
        if not EMAIL.match(address) or len(address) > 254:
            raise ValueError(gettext("“%(text)s” is not an email address.", text=part[:60]))
        if address not in found and address != (invitee_email or "").strip().lower():
            found.append(address)
    if len(found) > limit:
        raise ValueError(ngettext("You can bring at most %(num)d guest.", "You can bring at most %(num)d guests.",
                                  limit))
    return found
