"""Configuration: defaults, then instance/config.py, then LINKTIME_* environment variables.

Every key in DEFAULTS can be set either way; see the configuration table in README.md.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Config, Flask

from linktime.crypto import generate_key

# The built-in Zoom sandbox's app id. Its client secret and webhook secret are generated once per
# instance (instance/zoom_sandbox_*, mode 0600) and shared with the sandbox process from there, so
# nobody can sign a deauthorization for someone else's instance.
SANDBOX_CLIENT_ID = "linktime-sandbox"

DEFAULTS: dict[str, object] = {
    # Where `manage.py run` listens; BASE_URL and the Zoom sandbox follow unless set themselves.
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "ALLOW_SIGNUP": False,
    "SCHEDULER_ENABLED": True,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_SYNCHRONOUS": "NORMAL",  # FULL: every commit flushed to disk (see README)
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    # Reverse proxies in front of LinkTime whose X-Forwarded-For/-Proto are trusted (0: none).
    "PROXY_COUNT": 0,
    # Throttling of sign-in, sign-up and public booking (tests may turn it off).
    "RATELIMIT_ENABLED": True,
    # Public booking: attempts per client address and per host each hour; new bookings per
    # invitee email and host, and per host, in any 24 hours (Zoom allows 100 meeting creates a day).
    "BOOKINGS_PER_ADDRESS_PER_HOUR": 10,
    "BOOKINGS_PER_HOST_PER_HOUR": 120,
    "BOOKINGS_PER_EMAIL_PER_DAY": 3,
    "BOOKINGS_PER_HOST_PER_DAY": 50,
    # Meetings one video account (a Zoom user, a Google account) makes in any 24 hours, summed over
    # every host it serves — a team's shared Zoom account above all (Zoom allows 100 a day).
    "MEETINGS_PER_ACCOUNT_PER_DAY": 90,
    # Reschedules and cancels through a booking's private link: per booking, and per client
    # address, each hour (each change sends mail and moves or deletes a meeting).
    "CHANGES_PER_BOOKING_PER_HOUR": 6,
    "CHANGES_PER_ADDRESS_PER_HOUR": 30,
    # Done jobs are deleted after this many days (failed ones stay until an admin retries them).
    "JOB_RETENTION_DAYS": 14,
    # Jobs a dispatcher runs side by side (each thread keeps one SMTP connection).
    "JOB_THREADS": 4,
    # How long a booking request waits for its Zoom meeting before the page polls for it instead.
    "MEETING_WAIT_SECONDS": 2,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SUPPORT_EMAIL": "",  # shown where something went wrong and on Data & privacy
    "ZOOM_OAUTH_URL": "https://zoom.us",
    "ZOOM_API_URL": "https://api.zoom.us/v2",
    "ZOOM_TIMEOUT": 10,
    "GOOGLE_OAUTH_URL": "https://accounts.google.com",
    "GOOGLE_TOKEN_URL": "https://oauth2.googleapis.com",
    "GOOGLE_API_URL": "https://www.googleapis.com",
    "MICROSOFT_LOGIN_URL": "https://login.microsoftonline.com",
    "MICROSOFT_GRAPH_URL": "https://graph.microsoft.com/v1.0",
    "MICROSOFT_TENANT": "common",
    # Seconds a call to a calendar server may take (a booking page waits at most 5 s in all).
    "CALENDAR_TIMEOUT": 10,
    # CalDAV servers only in these networks (comma-separated, e.g. "10.0.0.0/8, 203.0.113.0/24");
    # empty: anywhere but the addresses no calendar server has (see the README's Security section).
    "CALDAV_ALLOWED_NETWORKS": "",
    # Webhooks: seconds one delivery may take in all; private networks deliveries may go to
    # (comma-separated; empty: public addresses only); days of failures before one is turned off.
    "WEBHOOK_TIMEOUT": 10,
    "WEBHOOK_ALLOWED_NETWORKS": "",
    "WEBHOOK_DISABLE_AFTER_DAYS": 3,
    # REST API requests per key each minute (a 429 with Retry-After past it).
    "API_REQUESTS_PER_MINUTE": 120,
}


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill app.config in order of precedence, lowest first."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("LINKTIME")
    else:
        app.config.from_mapping(test_config)

    # Unset BASE_URL: where this server listens (a wildcard address is reached on loopback).
    host = str(app.config["HOST"])
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    app.config.setdefault("BASE_URL", f"http://{_url_host(reachable)}:{int(app.config['PORT'])}")
    # The sandbox takes the port next to LinkTime's (manage.py moves it on if that one is taken).
    app.config.setdefault("ZOOM_SANDBOX_URL", f"http://127.0.0.1:{int(app.config['PORT']) + 1}")

    instance = Path(app.instance_path)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'linktime.db'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_urlsafe(48))
    if not app.config.get("ENCRYPTION_KEYS"):
        app.config["ENCRYPTION_KEYS"] = _instance_secret(instance / "encryption_keys", generate_key)
        app.config["ENCRYPTION_KEYS_FILE"] = str(instance / "encryption_keys")
    _use_sandbox_where_unset(app.config, instance)
    _check_caldav_networks(str(app.config.get("CALDAV_ALLOWED_NETWORKS") or ""))
    # Secure cookies whenever the public URL is https.
    if str(app.config["BASE_URL"]).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _use_sandbox_where_unset(config: Config, instance: Path) -> None:
    """Zoom, Google and Microsoft without an OAuth app of their own are played by the sandbox
    (Google and Microsoft on its /google and /microsoft paths)."""
    sandbox = str(config["ZOOM_SANDBOX_URL"]).rstrip("/")
    config["ZOOM_SANDBOX"] = not config.get("ZOOM_CLIENT_ID")
    if config["ZOOM_SANDBOX"]:
        client_secret, webhook_secret = sandbox_secrets(instance, config)
        config.update(ZOOM_CLIENT_ID=SANDBOX_CLIENT_ID, ZOOM_CLIENT_SECRET=client_secret, ZOOM_OAUTH_URL=sandbox,
                      ZOOM_API_URL=f"{sandbox}/v2")
        config.setdefault("ZOOM_WEBHOOK_SECRET_TOKEN", webhook_secret)
    for name, urls in (("GOOGLE", {"GOOGLE_OAUTH_URL": "/google", "GOOGLE_TOKEN_URL": "/google",
                                   "GOOGLE_API_URL": "/google"}),
                       ("MICROSOFT", {"MICROSOFT_LOGIN_URL": "/microsoft", "MICROSOFT_GRAPH_URL": "/microsoft/v1.0"})):
        config[f"{name}_SANDBOX"] = not config.get(f"{name}_CLIENT_ID")
        if config[f"{name}_SANDBOX"]:
            config.update({key: sandbox + path for key, path in urls.items()})
            config[f"{name}_CLIENT_ID"] = SANDBOX_CLIENT_ID
            config[f"{name}_CLIENT_SECRET"] = sandbox_secrets(instance, config)[0]


def _check_caldav_networks(text: str) -> None:
    for network in text.split(","):
        if network.strip():
            try:
                ipaddress.ip_network(network.strip(), strict=False)
            except ValueError:
                raise ValueError(f"CALDAV_ALLOWED_NETWORKS: {network.strip()!r} is not a network "
                                 "(write it as 10.0.0.0/8 or fd00::/8)") from None


def sandbox_secrets(instance: Path, config: dict | None = None) -> tuple[str, str]:
    """The Zoom sandbox's client secret and webhook secret: set in config, else this instance's own."""
    config = config or {}
    client = config.get("ZOOM_SANDBOX_CLIENT_SECRET") or _instance_secret(
        instance / "zoom_sandbox_client_secret", lambda: secrets.token_urlsafe(32))
    webhook = config.get("ZOOM_SANDBOX_WEBHOOK_SECRET") or _instance_secret(
        instance / "zoom_sandbox_webhook_secret", lambda: secrets.token_urlsafe(32))
    return client, webhook


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def write_private_atomically(path: Path, value: str) -> None:
    """Replace a secret file in one step (readers see the old or the new, never half), mode 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    os.replace(temporary, path)


def _instance_secret(path: Path, make: Callable[[], str]) -> str:
    """Read a generated secret from the instance folder, creating it on first start."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two workers starting together must agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
