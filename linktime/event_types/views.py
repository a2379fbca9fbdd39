"""Host pages for event types."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import escape

from linktime.conferencing.base import PROVIDERS, ConferencingProvider, link_promised
from linktime.event_types import service
from linktime.event_types.forms import EventTypeForm
from linktime.i18n import gettext as _
from linktime.i18n import ngettext
from linktime.models import EventType
from linktime.notifications import sms
from linktime.ownership import own_or_404
from linktime.urls import public_url

bp = Blueprint("event_types", __name__, url_prefix="/event-types")


def linkless() -> dict[str, ConferencingProvider]:
    """The meeting locations the host cannot get links for yet (not connected): their providers
    say what to connect, and where."""
    return {location.value: provider for location, provider in PROVIDERS.items()
            if not link_promised(location, current_user.id)}


def embed_snippets(event_type: EventType) -> dict[str, str]:
    """The HTML a host pastes into their own website: the booking page inline, or as a pop-up."""
    script = f'<script src="{escape(public_url("static", filename="embed.js"))}" defer></script>'
    title = escape(_("Book %(title)s with %(host)s", title=event_type.title, host=event_type.host.name))
    page = escape(event_type.public_url)
    button = _("Book %(title)s", title=event_type.title)
    return {
        "inline": f'<iframe data-linktime src="{page}?embed=1" title="{title}" '
                  f'style="width:100%;height:760px;border:0" loading="lazy"></iframe>\n{script}',
        "popup": f'<a href="{page}" data-linktime-popup>{escape(button)}</a>\n{script}',
    }


def get_event_type(event_type_id: int) -> EventType:
    """Load an event type of the signed-in host; anyone else's is a 404 (and so is a team's: it is
    edited on the team's pages)."""
    event_type = own_or_404(EventType, event_type_id)
    if event_type.is_team:
        abort(404)
    return event_type


@bp.get("")
@login_required
def index():
    """List the host's event types with their public links."""
    return render_template(
        "event_types/index.html",
        event_types=service.host_event_types(current_user),
        linkless=linkless(),
        embed_snippets=embed_snippets,
    )


def _edit_page(form: EventTypeForm, event_type: EventType | None):
    service.offer_schedules(form, current_user, event_type)
    if form.validate_on_submit():
        try:
            saved = service.save_event_type(current_user, form, event_type)
        except service.SlugTaken:
            form.slug.errors.append("You already have an event type with this slug.")
        else:
            flash(_("“%(title)s” saved. Its booking link: %(url)s", title=saved.title, url=saved.public_url), "success")
            missing = linkless().get(saved.location)
            if missing:
                label = missing.location.label
                flash(_("%(provider)s is not connected, so bookings of “%(title)s” get no %(provider)s link: their "
                        "page says the host will send it. Connect %(what)s in Settings → Integrations.",
                        provider=label, title=saved.title, what=missing.connect_what), "error")
            return redirect(url_for("event_types.index"))
    status = 422 if form.errors else 200
    return render_template("event_types/edit.html", form=form, event_type=event_type, linkless=linkless(),
                           sms_available=sms.configured()), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Create an event type."""
    form = EventTypeForm()
    if request.method == "GET":  # texts to the host's own country, to begin with
        form.sms_countries.data = sms.region_of_zone(current_user.timezone)
        service.offer_question_rows(form, [])
    return _edit_page(form, None)


@bp.route("/<id:event_type_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_type_id: int):
    """Edit an event type."""
    event_type = get_event_type(event_type_id)
    form = EventTypeForm(obj=event_type)
    if request.method == "GET":
        service.fill_form(form, event_type)
    return _edit_page(form, event_type)


@bp.post("/<id:event_type_id>/active")
@login_required
def set_active(event_type_id: int):
    """Activate or deactivate an event type's booking link."""
    event_type = get_event_type(event_type_id)
    active = request.form.get("active") == "1"
    service.set_active(event_type, active)
    flash(
        _("“%(title)s” is active.", title=event_type.title) if active
        else _("“%(title)s” is deactivated: its link no longer takes bookings.", title=event_type.title),
        "success",
    )
    return redirect(url_for("event_types.index"))


@bp.post("/<id:event_type_id>/duplicate")
@login_required
def duplicate(event_type_id: int):
    """Copy an event type with all its settings, to edit before turning it on."""
    copy = service.duplicate_event_type(get_event_type(event_type_id))
    flash(_("“%(title)s” is a copy with every setting. Change what differs, then turn it on (Active).",
            title=copy.title), "success")
    return redirect(url_for("event_types.edit", event_type_id=copy.id))


@bp.post("/<id:event_type_id>/delete")
@login_required
def delete(event_type_id: int):
    """Delete an event type that has no upcoming bookings."""
    event_type = get_event_type(event_type_id)
    try:
        service.delete_event_type(event_type)
    except service.HasUpcomingBookings as exc:
        flash(
            ngettext("“%(title)s” has %(num)d upcoming booking. Cancel it first, or deactivate the event type instead.",
                     "“%(title)s” has %(num)d upcoming bookings. Cancel them first, or deactivate the event type "
                     "instead.", exc.count, title=event_type.title),
            "error",
        )
    else:
        flash(_("“%(title)s” deleted.", title=event_type.title), "success")
    return redirect(url_for("event_types.index"))
