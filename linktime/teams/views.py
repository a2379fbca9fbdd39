"""Team pages: the host's (admins make teams and their event types; members see theirs) and the
public ones (``/team/<slug>``, each team event type below it, booked like a host's)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from linktime.accounts.service import everyone
from linktime.accounts.views import admin_required
from linktime.bookings import page_cache
from linktime.bookings import service as bookings
from linktime.bookings import views as booking_pages
from linktime.bookings.availability import SlotTaken, SlotUnavailable
from linktime.bookings.visitor import parse_start
from linktime.calendars.busy import CalendarsUnreadable
from linktime.conferencing.base import link_promised
from linktime.event_types import service as event_types
from linktime.event_types.views import linkless
from linktime.extensions import csrf, db
from linktime.i18n import gettext as _
from linktime.i18n import ngettext
from linktime.models import EventType, Scheduling, Team, now_utc
from linktime.notifications import sms
from linktime.teams import internal, service
from linktime.teams.forms import AwayForm, InternalMeetingForm, TeamEventTypeForm, TeamForm, team_event_type_form

bp = Blueprint("teams", __name__)
SHOWN_DAYS = 5  # of an internal meeting's free times


# ---------------------------------------------------------------------------- the host's pages


def get_team(team_id: int) -> Team:
    """A team the signed-in host may see: any for an admin, else one they are in; else 404."""
    team = db.session.get(Team, team_id)
    if team is None or not (current_user.is_admin or any(m.user_id == current_user.id for m in team.members)):
        abort(404)
    return team


def get_team_event_type(team: Team, event_type_id: int) -> EventType:
    event_type = db.session.get(EventType, event_type_id)
    if event_type is None or event_type.team_id != team.id:
        abort(404)
    return event_type


@bp.get("/teams")
@login_required
def index():
    """The teams the host can see, with their event types."""
    teams = service.teams_of(current_user)
    event_types = {team.id: service.team_event_types(team) for team in teams}
    return render_template(
        "teams/index.html", teams=teams, event_types=event_types,
        due={team.id: service.hand_overs_due(team) for team in teams} if current_user.is_admin else {},
        linkless={et.id: service.linkless_hosts(et) for ets in event_types.values() for et in ets})


def _team_form_page(form: TeamForm, team: Team | None):
    form.members.choices = [SelectChoice(user.id, f"{user.name} ({user.email})") for user in everyone()]
    if form.validate_on_submit():
        try:
            saved = service.save_team(form.name.data, form.slug.data or "", form.description.data or "",
                                      form.members.data or [], team)
        except service.TeamSlugTaken:
            form.slug.errors.append("That address is taken; please choose another.")
        else:
            flash(_("“%(name)s” saved. Its page: %(url)s", name=saved.name, url=saved.public_url), "success")
            return redirect(url_for("teams.index"))
    return render_template("teams/team_form.html", form=form, team=team), 422 if form.errors else 200


@bp.route("/teams/new", methods=["GET", "POST"])
@admin_required
def create():
    """Create a team."""
    form = TeamForm()
    if request.method == "GET":
        form.members.data = [current_user.id]
    return _team_form_page(form, None)


@bp.route("/teams/<id:team_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(team_id: int):
    """Rename a team and choose its members."""
    team = get_team(team_id)
    form = TeamForm(obj=team)
    if request.method == "GET":
        form.members.data = [member.user_id for member in team.members]
    return _team_form_page(form, team)


def _event_type_page(team: Team, form: TeamEventTypeForm, event_type: EventType | None):
    members = [member.user for member in team.members]
    if not members:
        flash(_("Add members to the team first: a team event type is hosted by some of them."), "error")
        return redirect(url_for("teams.edit", team_id=team.id))
    if form.validate_on_submit():
        try:
            saved = service.save_team_event_type(team, form, Scheduling(form.scheduling.data),
                                                 form.host_shares(members), form.organiser.data, event_type)
        except event_types.SlugTaken:
            form.slug.errors.append("The team already has an event type with this slug.")
        else:
            flash(_("“%(title)s” saved. Its booking link: %(url)s", title=saved.title, url=saved.public_url), "success")
            return redirect(url_for("teams.index"))
    return render_template("event_types/edit.html", form=form, event_type=event_type, team=team, members=members,
                           linkless=linkless(), sms_available=sms.configured()), 422 if form.errors else 200


@bp.route("/teams/<id:team_id>/event-types/new", methods=["GET", "POST"])
@admin_required
def create_event_type(team_id: int):
    """Create a team event type."""
    team = get_team(team_id)
    form = team_event_type_form([member.user for member in team.members])
    if request.method == "GET":
        form.hosts.data = [member.user_id for member in team.members]
        form.organiser.data = current_user.id if current_user.id in form.hosts.data else form.hosts.data[:1]
        event_types.offer_question_rows(form, [])
    return _event_type_page(team, form, None)


@bp.route("/teams/<id:team_id>/event-types/<id:event_type_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_event_type(team_id: int, event_type_id: int):
    """Edit a team event type and who hosts it."""
    team = get_team(team_id)
    event_type = get_team_event_type(team, event_type_id)
    form = team_event_type_form([member.user for member in team.members], obj=event_type)
    if request.method == "GET":
        event_types.fill_form(form, event_type)
        form.hosts.data = [chosen.user_id for chosen in event_type.team_hosts]
        form.organiser.data = event_type.host_id
        for chosen in event_type.team_hosts:
            form[f"priority_{chosen.user_id}"].data = chosen.priority
            form[f"weight_{chosen.user_id}"].data = chosen.weight
    return _event_type_page(team, form, event_type)


@bp.route("/settings/out-of-office", methods=["GET", "POST"])
@login_required
def out_of_office():
    """The host's days away: round-robin passes them by; their team bookings on those days are listed."""
    form = AwayForm()
    if form.validate_on_submit():
        try:
            clashes = service.add_away(current_user, form.first_day.data, form.last_day.data)
        except service.AwayRefused as exc:
            form.last_day.errors = [str(exc)]
        else:
            flash(_("Saved: round-robin bookings go to your teammates on those days."), "success")
            if clashes:
                flash(ngettext("You have %(num)d team booking on those days: open it below to hand it to a teammate.",
                               "You have %(num)d team bookings on those days: open each below to hand it to a "
                               "teammate.", len(clashes)), "error")
            return redirect(url_for("teams.out_of_office"), code=303)
    return render_template("teams/out_of_office.html", form=form, away=service.away_of(current_user),
                           clashes=[b for b, _ in service.hand_overs_for(current_user)]), 422 if form.errors else 200


@bp.post("/settings/out-of-office/<id:away_id>/delete")
@login_required
def remove_away(away_id: int):
    """Back after all: the days are open again."""
    if not service.remove_away(current_user, away_id):
        abort(404)
    flash(_("Removed: those days are open again."), "success")
    return redirect(url_for("teams.out_of_office"), code=303)


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting():
    """An internal meeting: pick teammates (and guests), see when all of you are free, book."""
    form = InternalMeetingForm()
    people = [user for user in everyone() if user.id != current_user.id]
    form.teammates.choices = [SelectChoice(user.id, user.name) for user in people]
    times, error, status = None, None, 200
    if form.validate_on_submit():
        teammates = [user for user in people if user.id in form.teammates.data]
        meeting = internal.terms(current_user, form.title.data, form.duration_minutes.data, form.location.data,
                                 form.location_detail.data or "")
        start = parse_start(form.start.data) if request.form.get("action") == "book" else None
        if start is not None:
            try:
                booking = internal.book_internal(current_user, teammates, form.guest_list, meeting, start,
                                                 form.notes.data or "")
            except (SlotTaken, SlotUnavailable):
                error, status = "Someone is no longer free at that time. Please pick another one.", 409
            except CalendarsUnreadable as exc:
                error, status = str(exc), 503
            except bookings.BookingLimit as exc:
                error, status = str(exc), 429
            else:
                said = (_("“%(title)s” is booked with %(hosts)s. Everyone is sent the details and the link.")
                        if link_promised(booking.location, current_user.id)
                        else _("“%(title)s” is booked with %(hosts)s. Everyone is sent the details."))
                flash(said % {"title": booking.title, "hosts": booking.host_names}, "success")
                return redirect(url_for("bookings.host_booking", booking_id=booking.id), code=303)
        times = internal.free_times(meeting, [current_user, *teammates])
    elif form.errors:
        status = 422
    zone = current_user.timezone
    by_day: dict = {}
    for slot in times or []:  # the first days that suit everyone: enough to choose from, short on a phone
        day = slot.start.astimezone(ZoneInfo(zone)).date()
        if day not in by_day and len(by_day) == SHOWN_DAYS:
            break
        by_day.setdefault(day, []).append(slot)
    return render_template("teams/new_meeting.html", form=form, times=times, by_day=by_day, zone=zone,
                           error=error), status


# ---------------------------------------------------------------------------- the public pages


def get_public_team(team_slug: str) -> Team:
    team = service.by_slug(team_slug)
    if team is None:
        abort(404)
    return team


def get_public_team_event_type(team_slug: str, slug: str) -> EventType:
    event_type = db.session.scalar(select(EventType).join(Team, Team.id == EventType.team_id)
                                   .where(Team.slug == team_slug.lower(), EventType.slug == slug.lower()))
    if event_type is None or not event_type.active or not event_type.team_hosts:
        abort(404)
    return event_type


@bp.get("/team/<team_slug>")
def team_page(team_slug: str):
    """A team's page: its event types, with the people who host them."""
    def render() -> page_cache.Rendered:
        team = get_public_team(team_slug)
        offered = [et for et in service.team_event_types(team, active_only=True) if et.team_hosts]
        # Nothing on it changes with the time: kept until what it is made from changes.
        return page_cache.Rendered(render_template("teams/team.html", team=team, event_types=offered),
                                   now_utc() + timedelta(days=1))

    stamp = page_cache.team_page_stamp(team_slug) if booking_pages.seen_alike_by_everyone() else None
    return (page_cache.page_cache().get_or_render(stamp, render) if stamp else render()).html


@bp.get("/team/<team_slug>/<slug>")
def event_page(team_slug: str, slug: str):
    """A team event type's free times, in the invitee's time zone."""
    return booking_pages.show_event_page(lambda: get_public_team_event_type(team_slug, slug),
                                         lambda: page_cache.team_stamp(team_slug, slug))


@bp.route("/team/<team_slug>/<slug>/book", methods=["GET", "POST"])
@csrf.exempt  # checked in protect_booking_form, except inside another site's frame
def book(team_slug: str, slug: str):
    """Ask for the invitee's details and book the chosen time with the team."""
    booking_pages.protect_booking_form()
    return booking_pages.book_page(get_public_team_event_type(team_slug, slug))
