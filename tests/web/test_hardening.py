"""Safe defaults: private instance files, secrets per instance, tokens not stored, clean logs, headers."""
from __future__ import annotations

import json
import logging
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text

from linktime import create_app
from linktime.extensions import db
from linktime.models import Booking
from tests.helpers import add_event_type, add_user, book_form, close_app, make_app

START = "2026-11-24T14:00:00+00:00"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """An instance as `manage.py run` makes it: generated secrets, a SQLite file, mail to the outbox."""
    monkeypatch.setenv("LINKTIME_SCHEDULER_ENABLED", "false")
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)  # as git leaves it
    app = create_app(instance_path=str(instance))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
    yield app
    close_app(app)


def test_instance_files_are_private(installed, clock):
    instance = Path(installed.instance_path)
    with installed.app_context():
        add_event_type(add_user("ada"))
    assert book_form(installed.test_client(), "/ada/intro-call/book", START, name="Bea",
                     email="bea@example.com", tz="UTC").status_code == 303
    assert mode(instance) == 0o700
    # The embedded defaults (the SQLite file in instance/), whichever database the suite runs on.
    for name in ("linktime.db", "secret_key", "encryption_keys", "zoom_sandbox_client_secret",
                 "zoom_sandbox_webhook_secret"):
        assert mode(instance / name) == 0o600, name
    for wal in instance.glob("linktime.db-*"):
        assert mode(wal) == 0o600, wal.name
    outbox = instance / "outbox"
    assert mode(outbox) == 0o700
    messages = list(outbox.glob("*.eml"))
    assert messages and all(mode(m) == 0o600 for m in messages)


def test_the_sandbox_secrets_are_made_per_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("LINKTIME_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("LINKTIME_SQLALCHEMY_DATABASE_URI", "sqlite://")
    first = create_app(instance_path=str(tmp_path / "one")).config
    second = create_app(instance_path=str(tmp_path / "two")).config
    again = create_app(instance_path=str(tmp_path / "one")).config
    assert first["ZOOM_WEBHOOK_SECRET_TOKEN"] != second["ZOOM_WEBHOOK_SECRET_TOKEN"]
    assert first["ZOOM_CLIENT_SECRET"] != second["ZOOM_CLIENT_SECRET"]
    assert (first["ZOOM_WEBHOOK_SECRET_TOKEN"], first["ZOOM_CLIENT_SECRET"]) == \
        (again["ZOOM_WEBHOOK_SECRET_TOKEN"], again["ZOOM_CLIENT_SECRET"])
    for value in (first["ZOOM_WEBHOOK_SECRET_TOKEN"], first["ZOOM_CLIENT_SECRET"]):
        assert len(value) >= 40 and value not in ("sandbox-secret", "sandbox-webhook-secret")


def test_a_deauthorization_signed_with_the_old_public_secret_is_refused(installed):
    from linktime.sandbox.zoom import sign

    body = json.dumps({"event": "app_deauthorized", "payload": {"user_id": "u1"}}).encode()
    stamp = str(int(time.time()))
    response = installed.test_client().post("/integrations/zoom/webhook", data=body, headers={
        "Content-Type": "application/json", "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign("sandbox-webhook-secret", stamp, body)})
    assert response.status_code == 401


def test_the_sandbox_process_reads_the_instances_secrets(tmp_path):
    """What `manage.py run` starts: the sandbox, pointed at the instance, knows its client secret."""
    import socket
    import subprocess
    import sys

    from linktime.config import sandbox_secrets

    instance = tmp_path / "instance"
    client_secret, _ = sandbox_secrets(instance)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "linktime.sandbox", "--port", str(port),
                                "--instance", str(instance)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/oauth/token"
        for _ in range(100):
            try:
                wrong = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": "x"},
                                      auth=("linktime-sandbox", "sandbox-secret"), timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        right = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": "x"},
                              auth=("linktime-sandbox", client_secret), timeout=5)
        assert wrong.status_code == 401 and right.status_code != 401
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------- tokens in links


def test_the_database_holds_no_working_manage_link(app, clock):
    with app.app_context():
        add_event_type(add_user("ada"))
    client = app.test_client()
    response = book_form(client, "/ada/intro-call/book", START, name="Bea", email="bea@example.com", tz="UTC")
    link = response.location.split("?")[0]
    token = link.rsplit("/", 1)[1]
    assert client.get(link).status_code == 200
    with app.app_context():
        dump = " ".join(str(value) for row in db.session.execute(select(Booking.__table__)).all() for value in row)
        jobs = " ".join(str(row) for row in db.session.execute(text("SELECT payload FROM jobs")).all())
    assert token not in dump and token not in jobs
    # A token is bound to its purpose and to the app's key.
    other = make_app(Path(app.instance_path).parent / "other", SECRET_KEY="another-key")
    assert other.test_client().get(link).status_code == 404
    close_app(other)
    assert client.get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404


def test_links_sent_before_tokens_were_derived_keep_working(app, clock):
    from linktime.tokens import digest

    with app.app_context():
        event_type = add_event_type(add_user("ada"))
        from datetime import UTC, datetime, timedelta

        start = datetime(2026, 11, 24, 14, tzinfo=UTC)
        db.session.add(Booking(host_id=event_type.host_id, event_type_id=event_type.id, title="Intro Call",
                               location="none", start=start, end=start + timedelta(minutes=30),
                               invitee_name="Old", invitee_email="old@example.com", invitee_timezone="UTC",
                               manage_token_hash=digest("an-old-random-token-from-last-year")))
        db.session.commit()
    page = app.test_client().get("/booking/an-old-random-token-from-last-year")
    assert page.status_code == 200 and "Old" in page.get_data(as_text=True)


# ---------------------------------------------------------------- logs


def test_oauth_codes_and_link_tokens_never_reach_the_access_log(app, caplog):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            requests.get(f"{base}/integrations/zoom/callback?code=SECRETCODE123&state=SECRETSTATE", timeout=10)
            requests.get(f"{base}/booking/SECRETBOOKINGTOKEN/cancel", timeout=10)
            requests.get(f"{base}/signup?invite=SECRETINVITE", timeout=10)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    logged = caplog.text
    assert "/integrations/zoom/callback?code=[redacted]&state=[redacted]" in logged
    for secret in ("SECRETCODE123", "SECRETSTATE", "SECRETBOOKINGTOKEN", "SECRETINVITE"):
        assert secret not in logged


def test_gunicorn_style_access_records_are_redacted_too():
    from linktime.logs import RedactSecrets

    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                               '%(h)s "%(r)s" %(s)s', ({"h": "1.2.3.4", "r": "GET /booking/abc?tz=UTC HTTP/1.1",
                                                         "s": "200"},), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == '1.2.3.4 "GET /booking/[token]?tz=UTC HTTP/1.1" 200'


def test_a_server_error_on_a_private_link_logs_no_token(app, clock, caplog, monkeypatch):
    """The error log names the page and quotes the traceback, whose message may carry the URL:
    the booking's token is masked in both."""
    from flask import request

    from linktime.notifications import ics

    with app.app_context():
        booking = Booking(host_id=add_user("ada").id, title="Intro", location="none", invitee_name="Bea",
                          invitee_email="bea@example.com", invitee_timezone="UTC",
                          start=datetime(2026, 11, 24, 15, tzinfo=UTC), end=datetime(2026, 11, 24, 15, 30, tzinfo=UTC))
        db.session.add(booking)
        db.session.commit()
        token = booking.manage_token

    def broken(booking):
        raise RuntimeError(f"could not make a link for {request.url}")

    monkeypatch.setattr(ics, "google_calendar_url", broken)
    with caplog.at_level(logging.ERROR):
        answer = app.test_client().get(f"/booking/{token}")
    assert answer.status_code == 500 and token not in answer.get_data(as_text=True)
    assert "Unhandled error on GET /booking/[token]" in caplog.text and "RuntimeError" in caplog.text
    assert token not in caplog.text


# ---------------------------------------------------------------- headers


def test_pages_carry_a_csp_without_inline_script(app, client, auth):
    with app.app_context():
        add_event_type(add_user("ada"))
    for path in ("/login", "/ada/intro-call", "/ada/intro-call?tz=UTC"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        body = response.get_data(as_text=True)
        assert "<script>" not in body and " on" + "click=" not in body
    assert "form-action 'self' http://127.0.0.1:" in client.get("/login").headers["Content-Security-Policy"]


def test_no_inline_script_or_style_anywhere_in_the_templates():
    import re

    root = Path(__file__).resolve().parents[2] / "templates"
    for template in root.rglob("*.html"):
        if template.parts[-2] == "email":
            continue  # mail clients, not browsers under our CSP
        source = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), template
        assert not re.search(r"\son[a-z]+=\"", source), template
        assert not re.search(r"\sstyle=\"", source) and "<style" not in source, template


def test_private_pages_are_not_stored_and_https_gets_hsts(tmp_path, clock):
    app = make_app(tmp_path, BASE_URL="https://book.example.com")
    with app.app_context():
        add_event_type(add_user("ada"))
    client = app.test_client()
    booked = book_form(client, "/ada/intro-call/book", START, name="Bea", email="bea@example.com", tz="UTC")
    manage = booked.location.split("?")[0]
    assert client.get(manage).headers["Cache-Control"] == "no-store"
    assert client.get(manage + "/cancel").headers["Cache-Control"] == "no-store"
    for calendar_file in ("/invite.ics", "/series.ics"):  # names, join links and passcodes
        answer = client.get(manage + calendar_file)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store", calendar_file
    public = client.get("/ada/intro-call?tz=UTC")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert public.headers["Strict-Transport-Security"] == "max-age=63072000"
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert client.get("/bookings").headers["Cache-Control"] == "no-store"
    close_app(app)
    plain = make_app(tmp_path / "plain")
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers
    close_app(plain)


def test_every_page_names_an_icon_that_is_served(client):
    """Browsers ask for an icon on every page: without one, each visit logs a 404."""
    import re

    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon, "no icon in the page head"
    response = client.get(icon[1])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
