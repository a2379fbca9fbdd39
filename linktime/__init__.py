"""LinkTime: self-hosted scheduling for small teams."""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from linktime.config import load_config
from linktime.crypto import KeyFile, KeyRing
from linktime.extensions import csrf, db, htmx, init_migrations, login_manager

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def web_folder(name: str) -> Path:
    """templates/ or static/: inside the installed package (a wheel), else the checkout's own."""
    packaged = Path(__file__).resolve().parent / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


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


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(web_folder("templates")),
        static_folder=str(web_folder("static")),
    )
    load_config(app, test_config)
    make_private(Path(app.instance_path))
    if int(app.config.get("PROXY_COUNT") or 0) > 0:  # behind that many trusted reverse proxies
        hops = int(app.config["PROXY_COUNT"])
        # Flask's documented way to wrap its WSGI app.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    # A missing or malformed key stops the start with a clear message, not a crash mid-request.
    app.extensions["linktime.keyring"] = KeyRing.from_config(app.config["ENCRYPTION_KEYS"])
    if app.config.get("ENCRYPTION_KEYS_FILE"):  # generated into instance/: rotate-keys may rewrite it
        app.extensions["linktime.keyfile"] = KeyFile(app.config["ENCRYPTION_KEYS_FILE"],
                                                     app.extensions["linktime.keyring"])

    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A file on this machine has no connection to lose: no ping before each use.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    db.init_app(app)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_synchronous(app.config["SQLITE_SYNCHRONOUS"]))
    init_migrations(app)
    allow_larger_uploads(app)  # before CSRFProtect, which reads the form first
    csrf.init_app(app)
    htmx.init_app(app)  # sets its own request class: ours wraps it
    app.request_class = type("Request", (SafeJSON, app.request_class), {})
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    from linktime import models
    from linktime.accounts.sessions import load as load_session_user
    from linktime.accounts.views import bp as accounts_bp
    from linktime.admin import bp as admin_bp
    from linktime.bookings import host_views  # noqa: F401 - adds the host's pages to the bookings blueprint
    from linktime.bookings.views import bp as bookings_bp
    from linktime.calendars.views import bp as calendars_bp
    from linktime.cli import register_cli
    from linktime.conferencing.zoom.views import bp as zoom_bp
    from linktime.event_types.views import bp as event_types_bp
    from linktime.formatting import register_template_helpers
    from linktime.jobs.outbox import track_requests
    from linktime.jobs.scheduler import start_scheduler
    from linktime.notifications.views import bp as twilio_bp
    from linktime.wiring import wire

    wire()

    login_manager.user_loader(load_session_user)

    app.url_map.converters["id"] = RowIdConverter
    app.register_blueprint(accounts_bp)
    app.register_blueprint(event_types_bp)
    app.register_blueprint(zoom_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(twilio_bp)
    # Last: it owns the catch-all /<username>/<slug> public URLs.
    app.register_blueprint(bookings_bp)
    register_template_helpers(app)
    from linktime.conferencing.base import PROVIDERS, link_promised, makes_meetings
    from linktime.conferencing.base import display_id as meeting_display_id
    from linktime.privacy import support_contact

    app.add_template_global(makes_meetings)
    app.add_template_global(meeting_display_id, "meeting_display_id")
    app.jinja_env.globals["meeting_locations"] = [location.value for location in PROVIDERS]
    app.add_template_filter(lambda kind: models.Location(kind).label, "location_label")
    app.add_template_global(support_contact)
    from linktime.bookings.views import embedded

    app.add_template_global(embedded)
    app.add_template_global(link_promised)
    app.add_template_global(models.MeetingStatus)
    app.add_template_global(models.DesiredState)
    app.add_template_global(models.EventStatus)
    register_error_pages(app)
    register_cli(app)
    start_scheduler(app)
    track_requests(app)

    register_security_headers(app)
    refuse_nul_bytes(app)
    from linktime.logs import redact_secrets_in_logs

    redact_secrets_in_logs()
    return app


# Pages whose address carries a capability (a booking's manage token, an invite, an address link).
TOKEN_PAGES = {"bookings.manage", "bookings.invitee_cancel", "bookings.reschedule", "bookings.invite",
               "bookings.series_invite",
               "accounts.signup", "accounts.confirm_email", "zoom.callback"}


# Pages whose bytes follow the visitor's zone and clock (cookies) and language.
VISITOR_PAGES = {"bookings.event_page", "bookings.book", "bookings.manage", "bookings.host_page"}
# The same bytes for everyone, whoever asks, kept by caches: static files, hosts' photos and colours.
PUBLIC_ASSETS = {"static", "accounts.photo", "accounts.brand_css"}


def content_security_policy(app: Flask) -> str:
    """No inline script or style, nothing from elsewhere; forms may only lead here or to the OAuth pages."""
    from urllib.parse import urlsplit

    oauth = urlsplit(str(app.config["ZOOM_OAUTH_URL"]))
    form_targets = " ".join(["'self'", f"{oauth.scheme}://{oauth.netloc}"])
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            f"form-action {form_targets}")


def register_security_headers(app: Flask) -> None:
    from flask_login import current_user

    from linktime.bookings.views import embedded

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
            # Pages may answer htmx with a fragment: caches must keep the two apart. Booking pages
            # also follow the visitor's zone and clock cookies and their language.
            vary = ["HX-Request", "Cookie", "Accept-Language"] if request.endpoint in VISITOR_PAGES else ["HX-Request"]
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


def make_private(instance: Path) -> None:
    """The instance folder holds the database, keys and mail: only its owner may enter it."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in (instance, instance / "outbox"):
        try:
            if folder.is_dir():
                folder.chmod(0o700)
        except OSError:  # not ours to change (a read-only mount): the operator's choice stands
            pass


SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def _sqlite_synchronous(level: str):
    """How SQLite waits for the disk at each commit (SQLITE_SYNCHRONOUS).

    NORMAL, with WAL: a commit is not flushed to disk one by one but at each checkpoint. A crash of
    LinkTime loses nothing and the file is never corrupted; a power cut may take back the last
    commits before it. FULL flushes every commit (about 0.5 ms each, held under the write lock).
    """
    level = str(level).upper()
    if level not in SYNCHRONOUS:
        raise RuntimeError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}, not {level!r}")

    def set_level(dbapi_connection, connection_record) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous={level}")

    return set_level


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL for concurrent readers, a busy timeout for writers, enforced foreign keys, secure delete.

    The database file is made 0600; SQLite gives its -wal and -shm files the same mode.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for _, name, path in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main" and path and os.path.exists(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o600)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a disconnected account's tokens and email) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
