"""API keys (Settings → API keys: made with a name, shown once, kept as a SHA-256, revocable) and
a host's private calendar feed (an ICS address of their bookings, its key kept the same way)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select, update
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from linktime import audit
from linktime.extensions import db, rows_changed
from linktime.formatting import clock_of_reader
from linktime.i18n import gettext as _
from linktime.i18n import lazy_gettext as _l
from linktime.models import ApiKey, Booking, BookingHost, User, now_utc
from linktime.notifications import ics
from linktime.urls import public_url
from linktime.validators import single_line

bp = Blueprint("api_keys", __name__, url_prefix="/settings/api-keys")
feeds = Blueprint("feeds", __name__)

PREFIX = "lt_live_"
LAST_USED_EVERY = timedelta(minutes=1)  # how often a key's "last used" is written
FEED_PAST = timedelta(days=90)  # how far back the feed reaches


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_key(user: User, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user``; the key itself is returned this once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user_id=user.id, name=name.strip(), digest=digest(secret), hint=secret[:12] + "…")
    db.session.add(key)
    audit.record(user.id, "api_key.created", f"API key “{key.name}” made.")
    return key, secret


def key_of(authorization: str | None) -> ApiKey | None:
    """The live key a request's ``Authorization: Bearer lt_live_…`` names, or None."""
    scheme, _space, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.digest == digest(secret), ApiKey.revoked_at.is_(None)))
    if key is None:
        return None
    now = now_utc()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:  # a write a minute at most
        rows_changed(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
                     .execution_options(synchronize_session=False))
        db.session.commit()
    return key


class KeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100), single_line],
                       description=_l("What uses it, e.g. “CRM sync”: to tell your keys apart."))


def _page(form: KeyForm, status: int = 200, **shown):
    keys = db.session.scalars(select(ApiKey).where(ApiKey.user_id == current_user.id)
                              .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).all()
    return render_template("api/keys.html", form=form, keys=keys, **shown), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = KeyForm()
    if form.validate_on_submit():
        key, secret = make_key(current_user, form.name.data)
        db.session.commit()
        return _page(KeyForm(formdata=None), new_key=secret, new_key_name=key.name)
    return _page(form, 422 if form.errors else 200)


@bp.post("/<id:key_id>/revoke")
@login_required
def revoke(key_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    key = db.session.get(ApiKey, key_id)
    if key is None or key.user_id != current_user.id:
        abort(404)
    if key.revoked_at is None:
        key.revoked_at = now_utc()
        audit.record(current_user.id, "api_key.revoked", f"API key “{key.name}” revoked.")
        db.session.commit()
    flash(_("The key “%(name)s” is revoked: requests with it are refused from now on.", name=key.name), "success")
    return redirect(url_for("api_keys.index"), code=303)


@bp.post("/feed")
@login_required
def new_feed():
    """A new private feed address (any earlier one stops working); shown this once."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    secret = secrets.token_urlsafe(32)
    current_user.feed_digest = digest(secret)
    audit.record(current_user.id, "feed.created", "A new calendar feed address was made.")
    db.session.commit()
    return _page(KeyForm(formdata=None), feed_url=public_url("feeds.feed", key=secret))


@bp.post("/feed/revoke")
@login_required
def revoke_feed():
    if not FlaskForm().validate_on_submit():
        abort(400)
    current_user.feed_digest = ""
    audit.record(current_user.id, "feed.revoked", "The calendar feed address was turned off.")
    db.session.commit()
    flash(_("The calendar feed is turned off: its address no longer works."), "success")
    return redirect(url_for("api_keys.index"), code=303)


@feeds.get("/feeds/<key>.ics")
def feed(key: str):
    """The host's bookings (from three months back) as a calendar to subscribe to."""
    if len(key) > 100:
        abort(404)
    user = db.session.scalar(select(User).where(User.feed_digest == digest(key), User.feed_digest != ""))
    if user is None:
        abort(404)
    co_hosted = select(BookingHost.booking_id).where(BookingHost.user_id == user.id)
    bookings = db.session.scalars(
        select(Booking).where(or_(Booking.host_id == user.id, Booking.id.in_(co_hosted)),
                              Booking.end >= now_utc() - FEED_PAST)
        .order_by(Booking.start).limit(2000)).all()
    with clock_of_reader(24, user.language or None):  # written in the host's language, whoever fetches it
        body = ics.feed_file(list(bookings), _("LinkTime: %(name)s", name=user.name))
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, max-age=300",
                       "X-Robots-Tag": "noindex"}
