"""The pages and the policy they share: blueprints and sign-in, headers (CSP, framing, caching),
error pages, body limits, what a URL's record id and a JSON body may be, and template globals."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from linktime import models
from linktime.accounts.sessions import load as load_session_user
from linktime.accounts.views import bp as accounts_bp
from linktime.admin import bp as admin_bp
from linktime.api.keys import bp as api_keys_bp
from linktime.api.keys import feeds as feeds_bp
from linktime.api.views import bp as api_bp
from linktime.bookings import (
    host_views,  # noqa: F401 - adds the host's pages to the bookings blueprint
    series,
)
from linktime.bookings.views import bp as bookings_bp
from linktime.bookings.visitor import embedded
from linktime.calendars.views import bp as calendars_bp
from linktime.conferencing.base import PROVIDERS, link_promised, makes_meetings
from linktime.conferencing.base import display_id as meeting_display_id
from linktime.conferencing.zoom.views import bp as zoom_bp
from linktime.event_types.schedule_views import bp as schedules_bp
from linktime.event_types.views import bp as event_types_bp
from linktime.extensions import db, login_manager
from linktime.formatting import register_template_helpers
from linktime.i18n import N_, current_language, gettext, remember_language, script_words, switcher_links
from linktime.notifications.views import bp as twilio_bp
from linktime.privacy import support_contact
from linktime.teams.views import bp as teams_bp
from linktime.webhooks.views import bp as webhooks_bp


def register_pages(app: Flask) -> None:
    """Every page of the app, and what every page has in common."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = N_("Please sign in to see that page.")
    login_manager.localize_callback = gettext  # in the visitor's language
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)
    app.url_map.converters["id"] = RowIdConverter
    for blueprint in (accounts_bp, event_types_bp, schedules_bp, teams_bp, zoom_bp, calendars_bp, admin_bp, twilio_bp,
                      webhooks_bp, api_bp, api_keys_bp, feeds_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(bookings_bp)  # last: it owns the catch-all /<username>/<slug> public URLs
    register_template_helpers(app)
    register_template_globals(app)
    register_error_pages(app)
    register_security_headers(app)
    refuse_nul_bytes(app)


class RowIdConverter(IntegerConverter):
    """A record id in a URL: 1 … 2**31 - 1, so an absurd number is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=2**31 - 1)


class SafeJSON:
    """A JSON body nested deeper than Python recurses is a bad request, not a crash (forms read
    JSON bodies too: a stranger may send one anywhere). Mixed into the request class in use."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)  # type: ignore[misc]
        except RecursionError:
            if silent:
                return None
            raise BadRequest("The JSON body is nested too deeply.") from None


# Pages whose address carries a capability (a booking's manage token, an invite, an address link).
TOKEN_PAGES = {"bookings.manage", "bookings.invitee_cancel", "bookings.reschedule", "bookings.invite",
               "bookings.series_invite",
               "accounts.signup", "accounts.confirm_email", "zoom.callback"}


# The same bytes for everyone, whoever asks, kept by caches: static files, hosts' photos and colours.
PUBLIC_ASSETS = {"static", "accounts.photo", "accounts.brand_css"}


def content_security_policy(app: Flask) -> str:
    """No inline script or style, nothing from elsewhere; forms may only lead here or to the OAuth pages."""
    oauth = urlsplit(str(app.config["ZOOM_OAUTH_URL"]))
    form_targets = " ".join(["'self'", f"{oauth.scheme}://{oauth.netloc}"])
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            f"form-action {form_targets}")


def register_security_headers(app: Flask) -> None:
    policy = content_security_policy(app)
    # Only the embeddable booking pages, asked for with ?embed=1, may be framed, by any site.
    framed_policy = policy.replace("frame-ancestors 'none'", "frame-ancestors *")
    https = str(app.config["BASE_URL"]).startswith("https://")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        framed = embedded()
        # What a view set itself stays (one pass: a missing key costs Headers an exception each).
        given = {name.lower() for name, _ in headers.items()}
        defaults = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                    ("Content-Security-Policy", framed_policy if framed else policy)]
        if not framed:
            defaults.append(("X-Frame-Options", "DENY"))
        if https:
            defaults.append(("Strict-Transport-Security", "max-age=63072000"))
        for name, value in defaults:
            if name.lower() not in given:
                headers.add(name, value)
        if request.endpoint not in PUBLIC_ASSETS:
            # Pages may answer htmx with a fragment: caches must keep the two apart. Pages also follow
            # the visitor's language (and booking pages their zone and clock cookies).
            vary = ["HX-Request", "Cookie", "Accept-Language"]
            private = request.endpoint in TOKEN_PAGES or "reschedule" in request.args
            if private or current_user.is_authenticated:
                # Nothing private is kept by the browser's or a proxy's cache, nor by the back button.
                headers["Cache-Control"] = "no-store"
                if "Cookie" not in vary:
                    vary.append("Cookie")
            response.vary.update(vary)
        return response


# Forms that may be larger than MAX_CONTENT_LENGTH, by endpoint: a phone's photo.
UPLOAD_LIMITS = {"accounts.appearance": 8 * 1024 * 1024}


def allow_larger_uploads(app: Flask) -> None:
    """Raise the body limit for the endpoints that take files, before anything parses the form."""

    @app.before_request
    def upload_limit():
        limit = UPLOAD_LIMITS.get(request.endpoint or "")
        if limit is not None:
            request.max_content_length = limit


def refuse_nul_bytes(app: Flask) -> None:
    """No text we store or compare may hold a NUL (PostgreSQL refuses them): say so, up front."""

    @app.before_request
    def no_nul_bytes():
        fields = [request.path, *request.args.keys(), *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += [*request.form.keys(), *request.form.values()]
        if any("\x00" in field for field in fields):
            message = "The request contained characters that are not allowed (NUL). Go back and check what you typed."
            return render_template("error.html", code=400, title="Not understood", message=message), 400
        return None


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "This form has expired or was sent from somewhere else. Go back, reload the page and try again."
        return render_template("error.html", code=400, title="Form expired", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed", 413: "Too large"}
        messages = {404: "There is nothing at this address. Check the link you were given.",
                    413: "What you sent is too large. A photo may be at most 8 MB; other forms much less."}
        code = error.code or 500
        return (
            render_template(
                "error.html",
                code=code,
                title=titles.get(code, error.name),
                message=messages.get(code, error.description),
            ),
            code,
        )

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)  # masked: see logs.py
        db.session.rollback()
        message = "Something went wrong on our side. Nothing was saved; please try again."
        return render_template("error.html", code=500, title="Sorry", message=message), 500


def register_template_globals(app: Flask) -> None:
    """What every template may use: meeting helpers, the providers' locations, state enums."""
    app.add_template_global(makes_meetings)
    app.add_template_global(current_language)
    app.add_template_global(switcher_links)
    app.add_template_global(script_words)
    app.after_request(remember_language)
    app.add_template_global(meeting_display_id, "meeting_display_id")
    app.jinja_env.globals["meeting_locations"] = [location.value for location in PROVIDERS]
    app.add_template_filter(lambda kind: models.Location(kind).label, "location_label")
    app.add_template_global(support_contact)
    app.add_template_global(embedded)
    app.add_template_global(link_promised)
    app.add_template_global(series.summary, "series_summary")
    app.add_template_global(models.MeetingStatus)
    app.add_template_global(models.DesiredState)
    app.add_template_global(models.EventStatus)
