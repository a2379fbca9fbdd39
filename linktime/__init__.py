"""LinkTime: self-hosted scheduling for small teams."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from linktime.config import load_config
from linktime.crypto import KeyFile, KeyRing
from linktime.extensions import csrf, db, htmx, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def web_folder(name: str) -> Path:
    """templates/ or static/: inside the installed package (a wheel), else the checkout's own."""
    packaged = Path(__file__).resolve().parent / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


class RowIdConverter(IntegerConverter):
    """A record id in a URL: 1 … 2**31 - 1, so an absurd number is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=2**31 - 1)


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
    # A missing or malformed key stops the start with a clear message, not a crash mid-request.
    app.extensions["linktime.keyring"] = KeyRing.from_config(app.config["ENCRYPTION_KEYS"])
    if app.config.get("ENCRYPTION_KEYS_FILE"):  # generated into instance/: rotate-keys may rewrite it
        app.extensions["linktime.keyfile"] = KeyFile(app.config["ENCRYPTION_KEYS_FILE"],
                                                     app.extensions["linktime.keyring"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    from linktime import models
    from linktime.conferencing import meetings  # noqa: F401  (registers its background jobs)
    from linktime.conferencing.zoom import adapter  # noqa: F401  (registers Zoom as a provider)
    from linktime.notifications import email  # noqa: F401  (registers its background jobs)
    from linktime.accounts import bp as accounts_bp
    from linktime.admin import bp as admin_bp
    from linktime.notifications.views import bp as twilio_bp
    from linktime.bookings import bp as bookings_bp
    from linktime.cli import register_cli
    from linktime.conferencing.zoom.views import bp as zoom_bp
    from linktime.jobs.scheduler import start_scheduler
    from linktime.event_types import bp as event_types_bp
    from linktime.formatting import register_template_helpers

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(models.User, int(user_id)) if user_id.isdigit() else None

    app.url_map.converters["id"] = RowIdConverter
    app.register_blueprint(accounts_bp)
    app.register_blueprint(event_types_bp)
    app.register_blueprint(zoom_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(twilio_bp)
    # Last: it owns the catch-all /<username>/<slug> public URLs.
    app.register_blueprint(bookings_bp)
    register_template_helpers(app)
    from linktime.conferencing.base import makes_meetings

    app.add_template_global(makes_meetings)
    app.add_template_global(models.MeetingStatus)
    app.add_template_global(models.DesiredState)
    register_error_pages(app)
    register_cli(app)
    start_scheduler(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            # Pages may answer htmx with a fragment: caches must keep the two apart.
            response.vary.add("HX-Request")
        return response

    return app


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = "This form has expired or was sent from somewhere else. Go back, reload the page and try again."
        return render_template("error.html", code=400, title="Form expired", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed"}
        messages = {404: "There is nothing at this address. Check the link you were given."}
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
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        message = "Something went wrong on our side. Nothing was saved; please try again."
        return render_template("error.html", code=500, title="Sorry", message=message), 500


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL for concurrent readers, a busy timeout for writers, enforced foreign keys, secure delete."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a disconnected account's tokens and email) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
