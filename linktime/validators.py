"""Form validators shared by every blueprint."""
from __future__ import annotations

from wtforms.validators import ValidationError


def single_line(form, field) -> None:
    """Names and titles go into email headers and calendar lines: no line breaks in them."""
    if field.data and any(ch in field.data for ch in "\r\n\v\f\x85\u2028\u2029"):
        raise ValidationError("Please keep this on one line.")
