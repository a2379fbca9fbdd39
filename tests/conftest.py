"""Shared fixtures.

Databases: every test gets a fresh SQLite file, or — when LINKTIME_TEST_DATABASE_URL is set — a
freshly created schema on that PostgreSQL server. Browser tests drive Debian's Chromium with
Playwright; they skip when it is missing unless LINKTIME_REQUIRE_BROWSER=1 (as in CI).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import (
    CHROMIUM,
    MONDAY_MORNING,
    RADICALE_PASSWORD,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    Auth,
    LiveServer,
    SMTPServer,
    add_event_type,
    add_user,
    close_app,
    free_port,
    make_app,
)


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def host(app):
    """An admin host 'ada' in New York with an 'Intro Call' (weekdays 9–5), signed out."""
    with app.app_context():
        user = add_user("ada")
        add_event_type(user)
        return user.id


@pytest.fixture
def clock():
    """A running clock starting at MONDAY_MORNING; tests move it with .shift() and .move_to()."""
    import time_machine

    with time_machine.travel(MONDAY_MORNING, tick=True) as traveller:
        yield traveller


@pytest.fixture
def live_app(tmp_path):
    """An app as users run it: CSRF on, served over real HTTP by a threaded server."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    close_app(app)


@pytest.fixture
def live_server_for():
    """Serve any app over real HTTP for the rest of the test."""
    servers = []

    def serve(app):
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        live_app.config["BASE_URL"] = server.url
        yield server


def _browser_missing_reason() -> str | None:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401 - only whether it imports
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("LINKTIME_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """Make browser contexts (a person each: own cookies, own time zone); closed afterwards.

    Every page is watched for Content-Security-Policy violations and for a part of the page (a
    stylesheet, script, image or the icon) that fails to load: any one fails the test.
    """
    contexts, violations = [], []
    parts = {"stylesheet", "script", "image", "font", "other"}

    def broken_part(response) -> None:
        if response.status >= 400 and response.request.resource_type in parts:
            violations.append(f"{response.status} for {response.url}")

    def watch(page) -> None:
        page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text else None)
        page.on("response", broken_part)

    def make(**options):
        options.setdefault("locale", "en-GB")  # a 24-hour clock, unless a test asks for another language
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert violations == [], violations


@pytest.fixture
def sandbox():
    """The Zoom sandbox on its own port, over real HTTP."""
    from linktime.sandbox import create_sandbox

    server_app = create_sandbox(client_secret=SANDBOX_CLIENT_SECRET, webhook_secret=SANDBOX_WEBHOOK_SECRET)
    with LiveServer(server_app) as server:
        server.state = server_app.extensions["zoom_sandbox"]
        yield server


@pytest.fixture
def zoom_app(tmp_path, sandbox):
    """The app, talking to the sandbox; Zoom calls time out fast so failure tests stay quick."""
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2)
    yield app
    close_app(app)


@pytest.fixture
def zoom_client(zoom_app):
    return zoom_app.test_client()


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(tmp_path, sandbox, smtp):
    """Zoom sandbox + real SMTP server."""
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=smtp.port, ZOOM_LINK_WAIT_SECONDS=30)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A real CalDAV server (Radicale) on loopback, with one user, ada, whose app password is
    RADICALE_PASSWORD, and two calendars: Work and Home."""
    folder = tmp_path_factory.mktemp("radicale")
    (folder / "users").write_text(f"ada:{RADICALE_PASSWORD}\n")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(folder / "collections"), "--auth-type", "htpasswd",
         "--auth-htpasswd-filename", str(folder / "users"), "--auth-htpasswd-encryption", "plain",
         "--logging-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.05)
    for name, title in (("work", "Work"), ("home", "Home")):
        made = requests.request(
            "MKCALENDAR",
            f"{url}/ada/{name}/",
            auth=("ada", RADICALE_PASSWORD),
            data=f"""<?xml version="1.0"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>
<d:displayname>{title}</d:displayname></d:prop></d:set></c:mkcalendar>""",
        )
        assert made.status_code == 201, made.text
    yield url
    process.terminate()
    process.wait(timeout=10)
