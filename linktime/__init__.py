"""LinkTime: self-hosted scheduling for small teams."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from linktime.config import load_config
from linktime.crypto import KeyFile, KeyRing
from linktime.database import init_database
from linktime.extensions import babel, csrf, htmx
from linktime.i18n import current_locale

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def web_folder(name: str) -> Path:
    """templates/ or static/: inside the installed package (a wheel), else the checkout's own."""
    packaged = Path(__file__).resolve().parent / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: config, keys, database, extensions, what runs, pages, CLI."""
    from linktime.cli import register_cli
    from linktime.jobs.runner import track_requests
    from linktime.jobs.scheduler import start_scheduler
    from linktime.logs import redact_secrets_in_logs
    from linktime.web import SafeJSON, allow_larger_uploads, register_pages
    from linktime.wiring import wire

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
    init_database(app)
    allow_larger_uploads(app)  # before CSRFProtect, which reads the form first
    csrf.init_app(app)
    babel.init_app(app, locale_selector=current_locale)
    htmx.init_app(app)  # sets its own request class: ours wraps it
    app.request_class = type("Request", (SafeJSON, app.request_class), {})
    wire()
    register_pages(app)
    register_cli(app)
    start_scheduler(app)
    track_requests(app)
    redact_secrets_in_logs()
    return app


def make_private(instance: Path) -> None:
    """The instance folder holds the database, keys and mail: only its owner may enter it."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in (instance, instance / "outbox"):
        try:
            if folder.is_dir():
                folder.chmod(0o700)
        except OSError:  # not ours to change (a read-only mount): the operator's choice stands
            pass


