"""Connect, callback, disconnect and the deauthorization webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from htmx_flask import request  # flask.request, typed with its .htmx

from linktime import audit
from linktime.conferencing import meetings
from linktime.conferencing.zoom import service
from linktime.conferencing.zoom.cards import CARD, card_context
from linktime.conferencing.zoom.client import (
    ZoomError,
    ZoomGrantError,
    ZoomRequestError,
    ZoomUnavailable,
)
from linktime.extensions import csrf
from linktime.i18n import gettext as _
from linktime.i18n import ngettext

bp = Blueprint("zoom", __name__, url_prefix="/integrations/zoom")

WEBHOOK_MAX_AGE = 300  # seconds


def _workspace_flag() -> bool:
    workspace = request.values.get("workspace") == "1"
    if workspace and not current_user.is_admin:
        abort(404)
    return workspace


def render_card(workspace: bool, notice: str | None = None, status: int = 200):
    return render_template(CARD, card=card_context(workspace, notice)), status


@bp.get("/card")
@login_required
def card():
    """The status card alone (htmx refreshes it while a Connect is pending)."""
    return render_card(_workspace_flag())


@bp.post("/connect")
@login_required
def connect():
    """Send the host to Zoom's consent screen."""
    url = service.start_connect(current_user, workspace=_workspace_flag())
    if request.htmx:
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


@bp.post("/cancel")
@login_required
def cancel():
    """Forget a Connect that was started but not finished."""
    workspace = _workspace_flag()
    service.cancel_pending(current_user, workspace=workspace)
    if request.htmx:
        return render_card(workspace)
    return redirect(url_for("accounts.integrations"), code=303)


@bp.get("/callback")
@login_required
def callback():
    """Zoom sends the host back here after Allow or Deny."""
    args = request.args
    try:
        connection = service.finish_connect(
            current_user, state=args.get("state"), code=args.get("code"),
            error=args.get("error"), error_description=args.get("error_description", ""),
        )
    except service.StateError as exc:
        return render_template("conferencing/callback_error.html", reason=str(exc)), 400
    except service.AccessDenied as exc:
        flash(_("Zoom was not connected: access was not allowed on Zoom’s page. You can try again at any time.")
              if exc.error == "access_denied" else
              _("Zoom was not connected (%(error)s). Please try again.", error=exc.error), "error")
        return redirect(url_for("accounts.integrations"))
    except ZoomRequestError as exc:
        redirect_uri = service.settings().redirect_uri
        if "redirect" in exc.message.lower() or str(exc.code) in {"4700", "4709"}:
            message = _("Zoom refused the redirect URL. Register exactly %(url)s as the OAuth redirect URL (and in "
                        "the allow list) of your Zoom app, then connect again.", url=redirect_uri)
        elif "client" in exc.message.lower():
            message = _("Zoom does not recognise this app’s client ID and secret. Check ZOOM_CLIENT_ID and "
                        "ZOOM_CLIENT_SECRET against the Zoom app’s credentials.")
        else:
            message = _("Zoom refused the connection: %(error)s", error=exc.message)
        return render_template("conferencing/callback_error.html", reason="zoom", message=message), 502
    except ZoomGrantError:
        flash(_("The authorization from Zoom expired before it could be used. Please connect again."), "error")
        return redirect(url_for("accounts.integrations"))
    except ZoomUnavailable:
        flash(_("Zoom could not be reached to finish connecting. Nothing was saved; please try again in a minute."),
              "error")
        return redirect(url_for("accounts.integrations"))
    except ZoomError as exc:
        flash(_("Zoom refused the connection: %(error)s", error=exc.message), "error")
        return redirect(url_for("accounts.integrations"))
    if connection.needs_attention:
        flash(connection.attention_reason, "error")
        return redirect(url_for("accounts.integrations"))
    flash(_("Successfully connected to Zoom as %(email)s.", email=connection.email), "success")
    resumed = meetings.resume_meetings(service.hosts_served_by(connection))
    if resumed:
        flash(ngettext("%(num)d upcoming booking without a Zoom meeting gets one now; the invitee is sent the link.",
                       "%(num)d upcoming bookings without a Zoom meeting get one now; the invitees are sent the link.",
                       resumed), "info")
    return redirect(url_for("accounts.integrations"))


@bp.post("/disconnect")
@login_required
def disconnect():
    """Delete our copy of the tokens now and revoke them at Zoom."""
    workspace = _workspace_flag()
    connection = service.workspace_connection() if workspace else service.own_connection(current_user)
    if connection is None:
        return render_card(workspace) if request.htmx else redirect(url_for("accounts.integrations"))
    revoked = service.disconnect(connection, current_user)
    notice = "disconnected" if revoked else "disconnected-unrevoked"
    if request.htmx:  # the card, and the activity list without the account's email any more
        card, status = render_card(workspace, notice=notice)
        return card + render_template(
            "accounts/_activity.html", activity=audit.recent(current_user.id), oob=True
        ), status
    flash(_("Zoom is disconnected and LinkTime’s tokens are deleted. Existing bookings keep their links."), "success")
    return redirect(url_for("accounts.integrations"))


def _signature_ok(secret: str, raw: bytes) -> bool:
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    signature = request.headers.get("x-zm-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > WEBHOOK_MAX_AGE:
        return False
    expected = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@bp.post("/webhook")
@csrf.exempt
def webhook():
    """Zoom's event notifications: URL validation and app deauthorization."""
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN")
    if not secret:
        return jsonify(error="webhooks are not configured (ZOOM_WEBHOOK_SECRET_TOKEN)"), 503
    raw = request.get_data()
    if not _signature_ok(secret, raw):
        return jsonify(error="invalid signature or stale timestamp"), 401
    try:
        event = json.loads(raw)
    except ValueError:
        event = None
    payload = event.get("payload") or {} if isinstance(event, dict) else None
    name = event.get("event") if isinstance(event, dict) else None
    if not isinstance(name, str) or not isinstance(payload, dict):
        return jsonify(error="malformed event"), 400
    if name == "endpoint.url_validation":
        plain = str(payload.get("plainToken", ""))
        encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        return jsonify(plainToken=plain, encryptedToken=encrypted)
    if name == "app_deauthorized":
        user_id = payload.get("user_id")
        if not isinstance(user_id, (str, int)) or not user_id or len(str(user_id)) > 64:
            return jsonify(error="malformed event"), 400
        removed = service.deauthorize(str(user_id))
        return jsonify(deleted=removed)
    return jsonify(ignored=name)
