"""Forms of the team pages: a team, and a team event type (an event type with who hosts it)."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from linktime.event_types.forms import SLUG_PATTERN, EventTypeForm
from linktime.formatting import format_duration
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
from linktime.models import LOCATION_LABELS, Location, Scheduling, User
from linktime.validators import single_line

PRIORITIES = [SelectChoice(2, _l("Highest")), SelectChoice(1, _l("High")), SelectChoice(0, _l("Normal")),
              SelectChoice(-1, _l("Low"))]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=100), single_line])
    slug = StringField(_l("URL slug"), validators=[Optional(), Length(max=60)],
                       description=_l("The last part of the team page's link: /team/<slug>. Leave empty to make one "
                                   "from the name."))
    description = TextAreaField(_l("Description"), validators=[Length(max=500)],
                                description=_l("Shown on the team page, above its event types."))
    members = CheckboxList(_l("Members"), coerce=int)

    def validate_slug(self, field) -> None:
        if field.data:
            field.data = field.data.strip().lower()
            if not SLUG_PATTERN.match(field.data):
                raise ValidationError(_("Use lowercase letters, digits and hyphens."))


class TeamEventTypeForm(EventTypeForm):
    scheduling = SelectField(
        _l("Who the invitee meets"),
        choices=[
            SelectChoice(Scheduling.ROUND_ROBIN.value,
                         _l("Round-robin: one of the hosts, whoever is free and most due")),
            SelectChoice(Scheduling.COLLECTIVE.value, _l("Collective: all of the hosts together")),
        ],
        default=Scheduling.ROUND_ROBIN.value,
    )
    hosts = CheckboxList(_l("Hosts"), coerce=int)
    organiser = SelectField(_l("Organiser"), coerce=int,
                            description=_l("A collective booking's meeting is made on the organiser's video account."))

    def validate_hosts(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one host."))

    def validate_organiser(self, field) -> None:
        if self.hosts.data and field.data not in self.hosts.data:
            raise ValidationError(_("The organiser must be one of the hosts."))

    def host_shares(self, members: list[User]) -> dict[int, tuple[int, int]]:
        """The chosen hosts with their (priority, weight)."""
        return {member.id: (self[f"priority_{member.id}"].data or 0, self[f"weight_{member.id}"].data or 100)
                for member in members if member.id in (self.hosts.data or [])}


def team_event_type_form(members: list[User], **kwargs) -> TeamEventTypeForm:
    """The form for a team's event type, with a priority and a weight for each member."""
    fields = {}
    for member in members:
        fields[f"priority_{member.id}"] = SelectField(_l("Priority of %(name)s", name=member.name),
                                                      choices=PRIORITIES, coerce=int, default=0)
        fields[f"weight_{member.id}"] = IntegerField(_l("Weight of %(name)s", name=member.name), default=100,
                                                     validators=[Optional(), NumberRange(1, 1000)])
    form_class = type("MembersTeamEventTypeForm", (TeamEventTypeForm,), fields)
    form: TeamEventTypeForm = form_class(**kwargs)
    form.hosts.choices = [SelectChoice(member.id, member.name) for member in members]
    form.organiser.choices = [SelectChoice(member.id, member.name) for member in members]
    return form


class AwayForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[DataRequired(message=_l("Enter the first day you are away."))])
    last_day = DateField(_l("Last day"), validators=[DataRequired(message=_l("Enter the last day you are away."))])


def _is_address(text: str) -> bool:
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


class InternalMeetingForm(FlaskForm):
    title = StringField(_l("Title"), default=_l("Team meeting"),
                        validators=[DataRequired(), Length(max=100), single_line])
    duration_minutes = SelectField(_l("Length"), coerce=int, default=30, choices=[
        SelectChoice(minutes, format_duration(minutes, _l)) for minutes in (15, 30, 45, 60, 90, 120)])
    location = SelectField(_l("Location"), default=Location.ZOOM.value,
                           choices=[SelectChoice(kind.value, LOCATION_LABELS[kind]) for kind in Location])
    location_detail = StringField(_l("Address, phone number or link"), validators=[Length(max=500)])
    teammates = CheckboxList(_l("Teammates"), coerce=int)
    guests = TextAreaField(_l("Outside guests (optional)"), validators=[Length(max=3000)],
                           description=_l("Email addresses, one per line or separated by commas; at most 10."))
    notes = TextAreaField(_l("Agenda (optional)"), validators=[Length(max=2000)])
    start = StringField(_l("Time"))

    def validate_teammates(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one teammate."))

    def validate_guests(self, field) -> None:
        addresses = [part.strip().lower() for part in re.split(r"[\s,;]+", field.data or "") if part.strip()]
        if len(addresses) > 10:
            raise ValidationError(_("At most 10 guests."))
        wrong = [address for address in addresses if not _is_address(address)]
        if wrong:
            raise ValidationError(_("Not an email address: %(address)s", address=wrong[0]))
        field.data = "\n".join(dict.fromkeys(addresses))

    def validate_location_detail(self, field) -> None:
        field.data = (field.data or "").strip()
        if self.location.data == Location.IN_PERSON and not field.data:
            raise ValidationError(_("Enter the address where you will meet."))

    @property
    def guest_list(self) -> list[str]:
        return [line for line in (self.guests.data or "").splitlines() if line]
