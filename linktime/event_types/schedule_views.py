"""Settings → Availability: the host's schedules, their days off and other hours, and holidays."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from linktime.bookings.visitor import parse_day
from linktime.event_types import schedules
from linktime.extensions import db
from linktime.i18n import current_language, ngettext
from linktime.i18n import gettext as _
from linktime.models import Schedule, now_utc
from linktime.scheduling.rules import parse_hours

bp = Blueprint("schedules", __name__, url_prefix="/settings/availability")


def get_schedule(schedule_id: int) -> Schedule:
    """One of the signed-in host's schedules; anyone else's is a 404."""
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or schedule.user_id != current_user.id:
        abort(404)
    return schedule


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """List the host's schedules; make a new one."""
    form = schedules.NewScheduleForm()
    if form.validate_on_submit():
        made = schedules.create_schedule(current_user, form.name.data)
        flash(_("“%(name)s” made: weekdays 9 to 5 to begin with. Set its hours and days off.", name=made.name),
              "success")
        return redirect(url_for("schedules.edit", schedule_id=made.id))
    return render_template("schedules/index.html", form=form, schedules=schedules.schedules_of(current_user),
                           users_of=schedules.users_of), 422 if form.errors else 200


@bp.route("/<id:schedule_id>", methods=["GET", "POST"])
@login_required
def edit(schedule_id: int):
    """Edit a schedule's name, week, holidays and whether it is the default."""
    schedule = get_schedule(schedule_id)
    form = schedules.ScheduleForm(obj=schedule)
    if request.method == "GET":
        schedules.fill_form(form, schedule)
    elif form.validate_on_submit():
        schedules.save_schedule(schedule, form)
        flash(_("“%(name)s” saved: every event type using it follows at once.", name=schedule.name), "success")
        return redirect(url_for("schedules.edit", schedule_id=schedule.id))
    return _edit_page(schedule, form, schedules.OverrideForm(formdata=None)), 422 if form.errors else 200


def _edit_page(schedule: Schedule, form: schedules.ScheduleForm, override_form: schedules.OverrideForm) -> str:
    today = now_utc().date()
    return render_template("schedules/edit.html", schedule=schedule, form=form, override_form=override_form,
                           runs=schedules.override_runs(schedule),
                           holidays=schedule.holidays_between(today, today + timedelta(days=365), current_language()),
                           used_by=schedules.users_of(schedule))


@bp.post("/<id:schedule_id>/overrides")
@login_required
def add_override(schedule_id: int):
    """Set a day (or a range of days) off, or to other hours."""
    schedule = get_schedule(schedule_id)
    override_form = schedules.OverrideForm()
    if not override_form.validate_on_submit():
        form = schedules.ScheduleForm(obj=schedule, formdata=None)
        schedules.fill_form(form, schedule)
        return _edit_page(schedule, form, override_form), 422
    hours = parse_hours(override_form.hours.data or "") if override_form.kind.data == "hours" else ()
    schedules.add_override(schedule, override_form.first.data, override_form.last.data, hours)
    flash(_("Saved: those days follow the new hours on every event type using this schedule."), "success")
    return redirect(url_for("schedules.edit", schedule_id=schedule.id) + "#overrides")


@bp.post("/<id:schedule_id>/overrides/remove")
@login_required
def remove_override(schedule_id: int):
    """Give days back to the weekly hours."""
    schedule = get_schedule(schedule_id)
    first, last = parse_day(request.form.get("first")), parse_day(request.form.get("last"))
    if first and last:
        schedules.remove_override(schedule, first, last)
        flash(_("Those days follow the weekly hours again."), "success")
    return redirect(url_for("schedules.edit", schedule_id=schedule.id) + "#overrides")


@bp.post("/<id:schedule_id>/delete")
@login_required
def delete(schedule_id: int):
    """Delete a schedule no event type uses."""
    schedule = get_schedule(schedule_id)
    try:
        schedules.delete_schedule(schedule)
    except schedules.ScheduleInUse as exc:
        flash(ngettext("“%(name)s” is used by %(num)d event type: choose other hours for it first.",
                       "“%(name)s” is used by %(num)d event types: choose other hours for them first.", exc.count,
                       name=schedule.name), "error")
        return redirect(url_for("schedules.edit", schedule_id=schedule.id))
    flash(_("Schedule deleted."), "success")
    return redirect(url_for("schedules.index"))
