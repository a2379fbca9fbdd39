"""Forms of the team pages: a team, and a team event type (an event type with who hosts it)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from linktime.event_types.forms import SLUG_PATTERN, EventTypeForm
from linktime.models import Scheduling, User
from linktime.validators import single_line

PRIORITIES = [SelectChoice(2, "Highest"), SelectChoice(1, "High"), SelectChoice(0, "Normal"), SelectChoice(-1, "Low")]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=100), single_line])
    slug = StringField("URL slug", validators=[Optional(), Length(max=60)],
                       description="The last part of the team page's link: /team/<slug>. Leave empty to make one "
                                   "from the name.")
    description = TextAreaField("Description", validators=[Length(max=500)],
                                description="Shown on the team page, above its event types.")
    members = CheckboxList("Members", coerce=int)

    def validate_slug(self, field) -> None:
        if field.data:
            field.data = field.data.strip().lower()
            if not SLUG_PATTERN.match(field.data):
                raise ValidationError("Use lowercase letters, digits and hyphens.")


class TeamEventTypeForm(EventTypeForm):
    scheduling = SelectField(
        "Who the invitee meets",
        choices=[
            SelectChoice(Scheduling.ROUND_ROBIN.value, "Round-robin: one of the hosts, whoever is free and most due"),
            SelectChoice(Scheduling.COLLECTIVE.value, "Collective: all of the hosts together"),
        ],
        default=Scheduling.ROUND_ROBIN.value,
    )
    hosts = CheckboxList("Hosts", coerce=int)
    organiser = SelectField("Organiser", coerce=int,
                            description="A collective booking's meeting is made on the organiser's video account.")

    def validate_hosts(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose at least one host.")

    def validate_organiser(self, field) -> None:
        if self.hosts.data and field.data not in self.hosts.data:
            raise ValidationError("The organiser must be one of the hosts.")

    def host_shares(self, members: list[User]) -> dict[int, tuple[int, int]]:
        """The chosen hosts with their (priority, weight)."""
        return {member.id: (self[f"priority_{member.id}"].data or 0, self[f"weight_{member.id}"].data or 100)
                for member in members if member.id in (self.hosts.data or [])}


def team_event_type_form(members: list[User], **kwargs) -> TeamEventTypeForm:
    """The form for a team's event type, with a priority and a weight for each member."""
    fields = {}
    for member in members:
        fields[f"priority_{member.id}"] = SelectField(f"Priority of {member.name}", choices=PRIORITIES, coerce=int,
                                                      default=0)
        fields[f"weight_{member.id}"] = IntegerField(f"Weight of {member.name}", default=100,
                                                     validators=[Optional(), NumberRange(1, 1000)])
    form_class = type("MembersTeamEventTypeForm", (TeamEventTypeForm,), fields)
    form: TeamEventTypeForm = form_class(**kwargs)
    form.hosts.choices = [SelectChoice(member.id, member.name) for member in members]
    form.organiser.choices = [SelectChoice(member.id, member.name) for member in members]
    return form


class AwayForm(FlaskForm):
    first_day = DateField("First day", validators=[DataRequired(message="Enter the first day you are away.")])
    last_day = DateField("Last day", validators=[DataRequired(message="Enter the last day you are away.")])
