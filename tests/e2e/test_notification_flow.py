"""In Chromium: book a Zoom event type; both confirmations reach a real SMTP server within seconds."""
from __future__ import annotations

import re
import time

import pytest

from linktime.extensions import db
from tests.helpers import LiveServer, add_event_type, add_user, calendar_of, close_app, make_app, screenshot

pytestmark = pytest.mark.e2e


def arrive(smtp, count: int, seconds: float = 10) -> list:
    deadline = time.monotonic() + seconds
    while len(smtp.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return smtp.messages


def test_confirmations_and_cancellations_reach_both_sides(tmp_path, sandbox, smtp, new_context):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, ZOOM_SANDBOX_URL=sandbox.url, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=smtp.port)
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        app.testing = False  # messages go through the real background path, as in production
        with app.app_context():
            add_event_type(add_user("ada", timezone="Europe/Berlin"), location="zoom")
            client = app.test_client()
            client.post("/login", data={"email": "ada@example.com", "password": "correct horse",
                                        "csrf_token": _csrf(client, "/login")})
            db.session.remove()
        _connect(client)

        page = new_context(timezone_id="Asia/Tokyo").new_page()
        page.goto(f"{server.url}/ada/intro-call")
        page.wait_for_url(re.compile("tz="))
        page.locator("a.day.available").nth(1).click()
        page.wait_for_url(re.compile("date="))
        page.locator(".slot-list a.slot").first.click()
        page.get_by_label("Your name").fill("Bea Invitee")
        page.get_by_label("Email").fill("bea@example.com")
        page.get_by_role("button", name="Confirm booking").click()
        page.wait_for_url(re.compile("/booking/"))
        join = page.locator("a.join-link").get_attribute("href")
        assert join and "/j/" in join

        messages = arrive(smtp, 2)
        assert sorted(m["To"] for m in messages) == ["ada@example.com", "bea@example.com"]
        uids = set()
        for message in messages:
            assert join in message.get_body(preferencelist=("plain",)).get_content()
            calendar, content_type = calendar_of(message)
            event = calendar.walk("VEVENT")[0]
            assert str(calendar["METHOD"]) == "REQUEST" and "method=REQUEST" in content_type.replace('"', "")
            assert str(event["LOCATION"]) == join and join in str(event["DESCRIPTION"])
            uids.add(str(event["UID"]))
        assert len(uids) == 1
        screenshot(page, "mail-01-confirmation")

        page.get_by_role("button", name="Cancel booking").click()
        page.get_by_role("button", name="Cancel booking").click()
        cancels = arrive(smtp, 4)[2:]
        assert sorted(m["To"] for m in cancels) == ["ada@example.com", "bea@example.com"]
        for message in cancels:
            calendar, content_type = calendar_of(message)
            event = calendar.walk("VEVENT")[0]
            assert str(calendar["METHOD"]) == "CANCEL" and "method=CANCEL" in content_type.replace('"', "")
            assert str(event["UID"]) in uids and str(event["STATUS"]) == "CANCELLED"
    close_app(app)


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def _connect(client) -> None:
    from tests.helpers import allow_on_zoom

    token = _csrf(client, "/settings/integrations")
    start = client.post("/integrations/zoom/connect", data={"workspace": "0", "csrf_token": token})
    back = allow_on_zoom(start.location)
    client.get("/integrations/zoom/callback?" + back.split("?", 1)[1])
