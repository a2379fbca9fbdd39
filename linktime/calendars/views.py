"""Settings → Integrations → Calendars: connect a CalDAV account, choose calendars, disconnect."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from htmx_flask import request  # flask.request, typed with its .htmx

from linktime import throttle
from linktime.calendars import oauth, registry, service
from linktime.calendars.base import CalendarError
from linktime.calendars.forms import CalDAVForm
from linktime.conferencing import meetings
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
from linktime.i18n import ngettext
from linktime.integrations import calendars_section, integrations_page
from linktime.models import CalendarProvider
from linktime.throttle import Limit, Throttled

bp = Blueprint("calendars", __name__, url_prefix="/integrations")

# The providers connected by OAuth, by the name in their fixed callback URLs (google, microsoft).
OAUTH_SLUGS = ", ".join(kind.slug for kind in registry.oauth_kinds())
# Each attempt reaches the address typed in: enough for typos, too few to map a network with.
CONNECT_PER_HOST = Limit("caldav-connect", 10, 15 * 60)
# CalDAV servers this process checks at once (each for at most CALENDAR_TIMEOUT): however many
# hosts try to connect slow servers, the other threads keep serving everyone else.
CHECKING = threading.BoundedSemaphore(2)
BUSY_CHECKING = _l("Other calendar servers are being checked right now. Please try again in a minute.")


def sentence(message: str) -> str:
    """A provider's message as a sentence of the page (it may come without its full stop)."""
    return message if message.endswith(".") else f"{message}."


def _section(status: int = 200, **context):
    """The Calendars section (htmx swaps it in place), or the whole Integrations page without JS."""
    if request.htmx:
        return render_template("calendars/_section.html", **calendars_section(**context)), status
    return integrations_page(calendars=calendars_section(**context)), status


def _done(notice: str):
    """After a change: the section with the notice (htmx), or back to the page with it flashed."""
    if request.htmx:
        return _section(notice=notice)
    flash(notice, "success")
    return redirect(url_for("accounts.integrations"), code=303)


@bp.post("/caldav/connect")
@login_required
def connect_caldav():
    form = CalDAVForm()
    if not form.validate_on_submit():
        return _section(422, form=form)
    try:
        throttle.hit(CONNECT_PER_HOST, str(current_user.id))
        if not CHECKING.acquire(blocking=False):
            return _section(503, form=form, error=BUSY_CHECKING)
        try:
            connection = service.connect_with_password(current_user, CalendarProvider.CALDAV, form.url.data,
                                                       form.username.data, form.password.data)
        finally:
            CHECKING.release()
    except Throttled as exc:
        return _section(429, form=form, error=exc.message(_("Too many connection attempts.")))
    except CalendarError as exc:
        form.url.data = _without_userinfo(form.url.data)  # a password typed into the address is not sent back
        return _section(422, form=form, error=sentence(exc.message))
    names = ", ".join(calendar.name for calendar in connection.calendars)
    notice = _("Connected %(account)s: %(calendars)s.", account=connection.account, calendars=names)
    return _done(notice)


def _without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])) if "@" in parts.netloc else url


def _provider(name: str) -> CalendarProvider:
    kind = registry.by_slug(name)
    if kind is None:
        abort(404)
    return kind.provider


@bp.post(f"/<any({OAUTH_SLUGS}):name>/connect")
@login_required
def connect_oauth(name: str):
    """Off to the provider's consent page (its Allow / Deny)."""
    return redirect(oauth.start(oauth.app_for(_provider(name))), code=303)


@bp.post(f"/<any({OAUTH_SLUGS}):name>/cancel")
@login_required
def cancel_oauth(name: str):
    oauth.cancel(_provider(name))
    return _done("Connecting was cancelled.")


@bp.get(f"/<any({OAUTH_SLUGS}):name>/callback")
@login_required
def callback(name: str):
    """Back from the provider's consent page: keep the account, or say why not."""
    provider = _provider(name)
    try:
        tokens, claims = oauth.finish(oauth.app_for(provider), state=request.args.get("state"),
                                      code=request.args.get("code"), error=request.args.get("error"))
        connection = service.connect_oauth(current_user, provider, tokens, claims)
    except CalendarError as exc:
        flash(sentence(exc.message), "error")
        return redirect(url_for("accounts.integrations", _anchor="calendars"))
    flash(_("Connected %(account)s (%(calendars)s). Choose below which calendars are checked and which one gets "
            "new bookings.", account=connection.account, calendars=", ".join(c.name for c in connection.calendars)),
          "success")
    resumed = meetings.resume_meetings([current_user.id])  # meetings made through this account (Meet) get their links
    if resumed:
        flash(ngettext("%(num)d upcoming booking without a meeting link gets one now; the invitee is sent the link.",
                       "%(num)d upcoming bookings without a meeting link get one now; the invitees are sent the link.",
                       resumed), "info")
    return redirect(url_for("accounts.integrations", _anchor="calendars"))


@bp.post("/calendars/choose")
@login_required
def choose():
    def ids(values: list[str]) -> set[int]:
        return {int(value) for value in values[:500] if value.isdigit() and len(value) < 12}

    destination = ids(request.form.getlist("destination"))
    service.choose(current_user, ids(request.form.getlist("check")), next(iter(destination), None))
    notice = _("Saved. Your booking page uses these calendars from now on.")
    return _done(notice)


@bp.post("/calendars/<id:connection_id>/disconnect")
@login_required
def disconnect(connection_id: int):
    connection = service.own_connection(current_user, connection_id)
    if connection is None:
        abort(404)
    account, kind = connection.account, registry.kind_of(connection.provider_kind)
    revoked = service.disconnect(connection)
    notice = _("%(account)s is disconnected: its %(secret)s and calendars are deleted from LinkTime. Events already "
               "written there stay; new bookings are written to no calendar of that account.",
               account=account, secret=kind.secret_name)
    if revoked is True:
        notice += " " + _("%(company)s was told to revoke LinkTime’s access.", company=kind.company)
    elif revoked is False:
        notice += " " + _("%(company)s could not be reached to revoke LinkTime’s access: remove LinkTime at %(where)s.",
                          company=kind.company, where=kind.manage_access)
    elif kind.manage_access:
        notice += " " + _("%(company)s has no way for LinkTime to revoke its access: remove LinkTime at %(where)s.",
                          company=kind.company, where=kind.manage_access)
    return _done(notice)
