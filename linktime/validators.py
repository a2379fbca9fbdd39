"""Form fields and validators shared by every blueprint."""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import ValidationError
from wtforms.widgets import html_params

from linktime.i18n import current_locale, gettext
from linktime.zones import canonical_zone, is_timezone, zone_options


def single_line(form, field) -> None:
    """Names and titles go into email headers and calendar lines: no line breaks in them."""
    if field.data and any(ch in field.data for ch in "\r\n\v\f\x85\u2028\u2029"):
        raise ValidationError(gettext("Please keep this on one line."))


class ZoneSelect:
    """The one zone picker: a <select> of every zone (usable without JavaScript) that static/app.js
    turns into a search box asking /zones."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        params = html_params(name=field.name, data_tz_select=True, data_zone_search=url_for("bookings.zone_search"),
                             data_placeholder=gettext("City, country or UTC offset"),
                             data_now_short=gettext("%(time)s now", time="{time}"), **kwargs)
        return Markup(f"<select {params}>{zone_options(field.data or 'UTC', current_locale())}</select>")


class ZoneField(StringField):
    """A time zone, kept under the picker's name for it (Asia/Calcutta arrives as Asia/Kolkata)."""

    widget = ZoneSelect()
    data: str

    def process_formdata(self, valuelist) -> None:
        self.data = canonical_zone(valuelist[0].strip()) if valuelist and valuelist[0] else ""

    def pre_validate(self, form) -> None:
        if not is_timezone(self.data):
            raise ValidationError(gettext("Choose a time zone from the list."))
