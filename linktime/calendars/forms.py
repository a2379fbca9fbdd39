"""The CalDAV connect form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class CalDAVForm(FlaskForm):
    url = StringField("Server address", validators=[DataRequired("Enter the server's address."), Length(max=2000)])
    username = StringField("Username", validators=[DataRequired("Enter your username."), Length(max=200)])
    password = PasswordField("App password", validators=[DataRequired("Enter the app password."), Length(max=1000)])
