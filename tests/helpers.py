"""Helpers shared by test files: apps on a fresh database, users and event types, forms, a live
server, a real SMTP server, Zoom sandbox sign-in. Fixtures are in conftest.py."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import text
from werkzeug.serving import WSGIRequestHandler, make_server

from linktime import create_app
from linktime.extensions import db
from linktime.models import EventType, User
from linktime.scheduling.rules import hours_to_json, parse_hours

PG_URL = os.environ.get("LINKTIME_TEST_DATABASE_URL")


CHROMIUM = os.environ.get("LINKTIME_CHROMIUM", "/usr/bin/chromium")


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


ROOT = Path(__file__).resolve().parent.parent


TEST_KEYS = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64


# The sandbox's secrets in tests (an instance makes its own; tests start the sandbox themselves).
SANDBOX_CLIENT_SECRET = "test-sandbox-client-secret"


SANDBOX_WEBHOOK_SECRET = "test-sandbox-webhook-secret"


def database_uri(tmp_path: Path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'linktime.db'}"


def reset_postgres(app) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


# The shape of the PostgreSQL schema that db.create_all() last made in this process: while the
# database still has exactly that shape, the next test empties its tables instead of making them
# again (a quarter of a second a test). A test that changed the schema (migrations) gets a new one.
_SHAPE = text("SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' "
              "ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'public'")
_made_shape: list[str] = []


def fresh_postgres(app) -> None:
    """Every table of the models, empty, with its ids starting at 1 again."""
    with app.app_context():
        with db.engine.begin() as conn:
            if _made_shape and conn.execute(_SHAPE).scalar() == _made_shape[0]:
                tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                return
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        with db.engine.connect() as conn:
            _made_shape[:] = [conn.execute(_SHAPE).scalar()]


def make_app(tmp_path: Path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SCHEDULER_ENABLED": False,
        "BASE_URL": "http://127.0.0.1:5000",
        "ZOOM_SANDBOX_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "ZOOM_SANDBOX_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRET,
        **overrides,
    }
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    if PG_URL and config["SQLALCHEMY_DATABASE_URI"] == PG_URL:
        fresh_postgres(app)
    else:
        if PG_URL:
            reset_postgres(app)
        with app.app_context():
            db.create_all()
    return app


def close_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def process_env(app, **settings: str) -> dict[str, str]:
    """The environment of another LinkTime process on the app's database and sandbox, with
    ``settings`` (config keys) on top."""
    config = app.config
    return {**os.environ, "LINKTIME_SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"],
            "LINKTIME_SECRET_KEY": config["SECRET_KEY"], "LINKTIME_ENCRYPTION_KEYS": TEST_KEYS,
            "LINKTIME_SCHEDULER_ENABLED": "false", "LINKTIME_BASE_URL": config["BASE_URL"],
            "LINKTIME_ZOOM_SANDBOX_URL": str(config["ZOOM_SANDBOX_URL"]),
            "LINKTIME_ZOOM_SANDBOX_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "LINKTIME_ZOOM_SANDBOX_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRET,
            **{f"LINKTIME_{key}": value for key, value in settings.items()}}


def other_process(app, code: str) -> subprocess.Popen:
    """Run ``code`` in a second LinkTime process on the same database and sandbox (an app context
    is open; what it prints is in ``stdout``): another worker, as in a real deployment."""
    env = process_env(app)
    script = "from wsgi import app\nwith app.app_context():\n" \
             + "".join(f"    {line}\n" for line in code.strip().splitlines())
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def add_user(username="ada", *, timezone="America/New_York", admin=True, password="correct horse") -> User:
    user = User(name=username.title(), email=f"{username}@example.com", username=username,
                timezone=timezone, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


WEEKDAYS_9_TO_5 = {str(day): hours_to_json(parse_hours("09:00-17:00")) for day in range(5)}


def add_event_type(host: User, slug="intro-call", **fields) -> EventType:
    values = dict(title="Intro Call", slug=slug, duration_minutes=30, weekly_hours=WEEKDAYS_9_TO_5,
                  date_overrides={}, min_notice_minutes=0, increment_minutes=30, location="none")
    values.update(fields)
    event_type = EventType(host_id=host.id, **values)
    db.session.add(event_type)
    db.session.commit()
    return event_type


def form_key(client, page_url: str) -> str:
    """Open a booking form as a browser would and return the key the server issued for it."""
    page = client.get(page_url).get_data(as_text=True)
    found = re.search(r'name="key" type="hidden" value="([^"]*)"', page)
    return found.group(1) if found else ""


def book_form(client, path: str, start: str, *, key: str | None = None, **data):
    """POST a booking form for ``start``; the form's own key unless one is given."""
    if key is None:
        key = form_key(client, f"{path}?start={start.replace('+', '%2B')}")
    return client.post(path, data={"start": start, "key": key, **data})


def outbox_messages(app) -> list:
    """The messages written to the app's local outbox (no MAIL_SERVER), oldest first."""
    from email import message_from_bytes, policy

    folder = Path(app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def latest_link(app, containing: str) -> str:
    """The path of the newest link in the outbox containing ``containing`` (made with BASE_URL)."""
    for message in reversed(outbox_messages(app)):
        text = message.get_body(("plain",)).get_content()
        found = re.search(r"https?://[^/\s]+(\S*" + re.escape(containing) + r"\S*)", text)
        if found:
            return found.group(1)
    raise AssertionError(f"no link with {containing!r} in the outbox")


def signed_in(app, email="ada@example.com", password="correct horse"):
    """A test client of ``app``, signed in."""
    client = app.test_client()
    client.post("/login", data={"email": email, "password": password})
    return client


def sign_in_page(page, base: str, email="ada@example.com", password="correct horse") -> None:
    """Sign in in a browser page, as a person does."""
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)  # by id: the page is in the browser's language
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()


@dataclass
class Auth:
    client: object

    def login(self, email="ada@example.com", password="correct horse"):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


# Monday 23 November 2026, 06:00 UTC (01:00 in New York): the fixed "now" of tests that move time.
MONDAY_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


def screenshot(page, name: str) -> None:
    """Keep a picture of what a person saw, for looking at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)


def allow_on_zoom(authorize_url: str, *, email="host@zoom-sandbox.test", decision="allow") -> str:
    """Click Allow (or Deny) on the sandbox's consent screen; returns where Zoom sends the browser."""
    import requests

    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    answer = requests.post(authorize_url.split("?")[0], data={**fields, "email": email, "decision": decision},
                           allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def connect_zoom(client, *, email="host@zoom-sandbox.test", workspace=False, decision="allow"):
    """Do what a host does: Connect, Allow on Zoom, come back. Returns the callback response."""
    start = client.post("/integrations/zoom/connect", data={"workspace": "1" if workspace else "0"})
    assert start.status_code == 303, start.get_data(as_text=True)
    back = allow_on_zoom(start.location, email=email, decision=decision)
    return client.get(back.split("127.0.0.1:5000", 1)[1])


class WebhookReceiver:
    """An HTTP server on loopback that records what webhooks send it and answers as planned: a
    status code per request in turn (then 200), "hang" (held until ``release`` is set), or "slow"
    (200 after ``slow_seconds``: later than LinkTime waits, so never an acknowledgement)."""

    def __init__(self, slow_seconds: float = 3.0):
        self.received: list[dict] = []
        self.plan: list[int | str] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    answer = receiver.plan.pop(0) if receiver.plan else 200
                    record = {"headers": dict(self.headers), "body": body, "json": json.loads(body),
                              "answer": answer, "at": time.monotonic()}
                    receiver.received.append(record)
                if answer == "hang":
                    receiver.release.wait(30)
                    return
                if answer == "slow":
                    time.sleep(slow_seconds)
                    answer = 200
                self.send_response(int(answer))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [r["json"]["event"] for r in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SMTPServer:
    """aiosmtpd on loopback, collecting what it receives; can go down and come back."""

    def __init__(self, delay: float = 0.0):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages: list = []
        self.peers: list = []  # the client address and port each message came from: one per connection
        self.delay = delay
        self.hang_up_after_each = False  # close the connection right after answering each message
        self.controller = None

    def start(self) -> SMTPServer:
        from aiosmtpd.controller import Controller

        server = self

        class Collect:
            async def handle_DATA(self, smtp, session, envelope):
                import asyncio
                from email import message_from_bytes, policy

                if server.delay:
                    await asyncio.sleep(server.delay)
                server.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                server.peers.append(session.peer)
                if server.hang_up_after_each:  # runs after the 250 is written: the message was taken
                    asyncio.get_running_loop().call_soon(smtp.transport.close)
                return "250 OK"

        self.controller = Controller(Collect(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


def calendar_of(message):
    """The parsed text/calendar part of an email, and that part's Content-Type."""
    from icalendar import Calendar

    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_content()), part["Content-Type"]
    return None, None


RADICALE_PASSWORD = "app-password-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
