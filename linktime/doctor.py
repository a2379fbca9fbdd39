"""`flask --app wsgi doctor`: is this installation ready? One line per check, with the fix.

Each check looks at one thing an operator sets up — the database schema, the encryption keys,
the public address, the Zoom app, its webhook secret, the mail server — and says what to do
when it is not right. Nothing is changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import current_app

from linktime.extensions import db


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "ok  " if self.ok else "FAIL"
        return f"{status}  {self.name:<10} {self.detail}" + ("" if self.ok else f"\n      fix: {self.fix}")


def database() -> Check:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from linktime.extensions import init_migrations

    init_migrations(current_app, always=True)
    migrate = current_app.extensions["migrate"].migrate
    heads = set(ScriptDirectory.from_config(migrate.get_config()).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any driver error: the database cannot be opened
        return Check("database", False, f"cannot be opened: {type(exc).__name__}: {str(exc)[:200]}",
                     "check SQLALCHEMY_DATABASE_URI and that the database server is running")
    if current == heads:
        return Check("database", True, f"at the latest migration ({', '.join(sorted(heads))})")
    return Check(
        "database",
        False,
        f"at {', '.join(sorted(current)) or 'no migration'}, not {', '.join(sorted(heads))}",
        "run: flask --app wsgi db upgrade",
    )


def secrets() -> Check:
    from linktime.secrets_at_rest import unreadable_count

    unreadable, total = unreadable_count()
    if not unreadable:
        return Check("keys", True, f"all {total} stored secret(s) open with ENCRYPTION_KEYS")
    return Check("keys", False, f"{unreadable} of {total} stored secret(s) cannot be decrypted with ENCRYPTION_KEYS",
                 "put the missing key back into ENCRYPTION_KEYS (or instance/encryption_keys), after the current one; "
                 "otherwise the hosts concerned reconnect Zoom")


def base_url() -> Check:
    url = str(current_app.config["BASE_URL"]).rstrip("/")
    try:
        response = requests.get(f"{url}/login", timeout=5, allow_redirects=False)
    except requests.RequestException as exc:
        return Check("base url", False, f"{url} does not answer ({type(exc).__name__})",
                     "start LinkTime there, or set BASE_URL to the address people reach it at")
    if response.status_code != 200 or "LinkTime" not in response.text:
        return Check("base url", False, f"{url}/login answered {response.status_code}, not LinkTime's sign-in page",
                     "point BASE_URL (and the reverse proxy) at this LinkTime")
    return Check("base url", True, f"{url} answers")


def zoom_app() -> Check:
    from linktime.conferencing.zoom.client import ZoomGrantError, ZoomRequestError, ZoomUnavailable
    from linktime.conferencing.zoom.service import oauth, settings

    redirect = settings().redirect_uri
    where = "the built-in Zoom sandbox" if current_app.config["ZOOM_SANDBOX"] else "Zoom"
    try:
        # A made-up code: Zoom checks the app's credentials first, then refuses the code.
        oauth().exchange_code("linktime-doctor-check", "linktime-doctor-check-" + "0" * 32)
    except ZoomGrantError:
        return Check("zoom", True, f"{where} accepts the app's client id and secret; redirect URL {redirect} "
                                   "(register exactly this on the Zoom app)")
    except ZoomRequestError as exc:
        return Check("zoom", False, f"{where} refused the app's client id and secret ({exc.message})",
                     "copy ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET from the Zoom app's App Credentials")
    except ZoomUnavailable as exc:
        return Check("zoom", False, f"{where} could not be reached ({exc.message})",
                     "start the sandbox (python3 manage.py run does)" if where != "Zoom"
                     else "check this machine's access to zoom.us")
    return Check("zoom", False, f"{where} accepted a made-up authorization code", "check ZOOM_OAUTH_URL")


def webhook() -> Check:
    if current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN"):
        return Check("webhook", True, "ZOOM_WEBHOOK_SECRET_TOKEN is set: deauthorizations are verified")
    return Check("webhook", False, "ZOOM_WEBHOOK_SECRET_TOKEN is not set: Zoom's deauthorization webhook answers 503",
                 "set it to the Secret Token of the Zoom app's event subscription")


def mail() -> Check:
    import smtplib

    from linktime.notifications.email import smtp_session

    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return Check("mail", True, "no MAIL_SERVER: messages are kept in instance/outbox/ (Settings → Sent mail)")
    try:
        with smtp_session(timeout=10):
            pass
    except (OSError, smtplib.SMTPException) as exc:
        return Check("mail", False, f"{server}: {type(exc).__name__}: {str(exc)[:200]}",
                     "check MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS / MAIL_USE_SSL and MAIL_USERNAME / MAIL_PASSWORD")
    login = " and login" if current_app.config.get("MAIL_USERNAME") else ""
    return Check("mail", True, f"{server} answers EHLO{login}")


CHECKS = (database, secrets, base_url, zoom_app, webhook, mail)


def run_checks() -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check())
        except Exception as exc:  # noqa: BLE001 - a check that breaks is a failure to report, not a crash
            db.session.rollback()
            results.append(Check(check.__name__, False, f"could not be checked: {type(exc).__name__}: {exc}",
                                 "see the message above"))
    return results
