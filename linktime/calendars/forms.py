"""The CalDAV connect form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from linktime.i18n import lazy_gettext as _l


class CalDAVForm(FlaskForm):
    url = StringField(_l("Server address"),
                      validators=[DataRequired(_l("Enter the server’s address.")), Length(max=2000)])
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=200)])
    password = PasswordField(_l("App password"),
                             validators=[DataRequired(_l("Enter the app password.")), Length(max=1000)])
