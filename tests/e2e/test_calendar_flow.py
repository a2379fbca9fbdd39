"""Google Calendar in Chromium against the sandbox over real HTTP: connect, a busy hour marked in
the calendar leaves the booking page, a booking lands in the calendar with its Zoom link, and
cancelling takes it out again."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linktime.extensions import db
from tests.helpers import LiveServer, add_event_type, add_user, close_app, make_app, screenshot, sign_in_page

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")


def serve(tmp_path, sandbox, location: str, **config):
    """The app as users run it (CSRF on, real HTTP), with Ada in Berlin and an Intro Call at ``location``."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=3, CALENDAR_TIMEOUT=3,
                   **config)
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        with app.app_context():
            add_event_type(add_user("ada", timezone="Europe/Berlin"), location=location)
            db.session.remove()
        yield app, server
    close_app(app)


@pytest.fixture
def calendar_live(tmp_path, sandbox):
    yield from serve(tmp_path, sandbox, "zoom")


def a_weekday_ahead() -> date:
    day = datetime.now(BERLIN).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_google_calendar_from_connect_to_a_cancelled_booking(calendar_live, sandbox, new_context):
    _app, server = calendar_live
    host = new_context(timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}).new_page()
    sign_in_page(host, server.url)

    # Zoom first (the booking's link), then Google Calendar: its consent page, Allow.
    host.goto(f"{server.url}/settings/integrations")
    host.locator("#zoom-card-personal").get_by_role("button", name="Connect").click()
    host.get_by_role("button", name="Allow").click()
    card = host.locator("#google-card")
    assert "Not connected" in card.inner_text() and "Sandbox" in card.inner_text()
    badge = host.locator(".badge-sandbox")  # the sandbox plays Zoom, Google and Microsoft here
    assert badge.inner_text() == "Sandbox" and "Zoom, Google, Microsoft" in badge.get_attribute("title")
    card.get_by_role("button", name="Connect Google Calendar").click()
    assert "LinkTime wants to access your Google account" in host.content()
    assert "See when you are busy in them (only the times" in host.content()
    screenshot(host, "calendar-01-google-consent")
    host.get_by_label("Sign in as").fill("ada@gmail-sandbox.test")
    host.get_by_role("button", name="Allow").click()
    host.wait_for_url(re.compile("/settings/integrations"))
    assert "Connected ada@gmail-sandbox.test" in host.locator("main").inner_text()
    assert "Connected" in host.locator("#google-card header").inner_text()
    calendars = host.locator("#calendars table").inner_text()
    assert "Google Calendar · ada@gmail-sandbox.test" in calendars and "Family" in calendars
    screenshot(host, "calendar-02-google-connected")

    # A busy hour marked in the sandbox's calendar, 09:00–10:00 in Berlin on a weekday ahead.
    day = a_weekday_ahead()
    busy_from = datetime.combine(day, time(9), BERLIN).astimezone(UTC)
    host.goto(f"{sandbox.url}/sandbox/calendars")
    mark = host.locator("form", has=host.get_by_role("button", name="Mark busy in ada@gmail-sandbox.test"))
    mark.get_by_label("Busy from (UTC)").fill(busy_from.strftime("%Y-%m-%dT%H:%M"))
    mark.get_by_label("title").fill("Physio")
    mark.get_by_role("button", name="Mark busy in ada@gmail-sandbox.test").click()
    assert "Physio" in host.locator("body").inner_text()

    # The invitee's page of that day starts at 10:00: 09:00 and 09:30 are gone.
    invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}).new_page()
    invitee.goto(f"{server.url}/ada/intro-call?date={day.isoformat()}")
    invitee.locator(".slot-list a.slot").first.wait_for()
    shown = [t.strip() for t in invitee.locator(".slot-list a.slot").all_inner_texts()]
    assert shown[0] == "10:00" and "09:00" not in shown and "09:30" not in shown
    screenshot(invitee, "calendar-03-busy-hour-gone")

    # Booked at 10:00: the event is in the Google calendar with the Zoom link.
    invitee.locator(".slot-list a.slot").first.click()
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/"))
    join = invitee.locator("a.join-link").get_attribute("href")
    host.goto(f"{sandbox.url}/sandbox/calendars")
    row = host.locator("tr", has_text="Intro Call: Ada and Bea Invitee")
    row.wait_for()
    assert join in row.inner_text()
    assert (datetime.combine(day, time(10), BERLIN).astimezone(UTC)).strftime("%Y-%m-%d %H:%M") in row.inner_text()
    screenshot(host, "calendar-04-event-in-google")

    # Cancelled: gone from the calendar (the test app runs its jobs within the request).
    invitee.get_by_role("button", name="Cancel booking").click()
    invitee.get_by_role("button", name="Cancel booking").click()
    invitee.get_by_role("heading", name="Cancelled").wait_for()
    host.goto(f"{sandbox.url}/sandbox/calendars")
    assert "Physio" in host.locator("body").inner_text()
    assert host.locator("tr", has_text="Intro Call: Ada and Bea Invitee").count() == 0
    screenshot(host, "calendar-05-event-gone")


@pytest.fixture
def meet_live(tmp_path, sandbox, smtp):
    yield from serve(tmp_path, sandbox, "none", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)


def test_google_meet_from_event_type_setup_to_the_link_in_the_invitees_email(meet_live, smtp, new_context):
    _app, server = meet_live
    host = new_context(timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}).new_page()
    sign_in_page(host, server.url)

    # Meet says it needs Google Calendar; connecting that makes Meet "Connected".
    host.goto(f"{server.url}/settings/integrations")
    assert "Not connected" in host.locator("#meet-card").inner_text()
    host.locator("#google-card").get_by_role("button", name="Connect Google Calendar").click()
    host.get_by_role("button", name="Allow").click()
    host.wait_for_url(re.compile("/settings/integrations"))
    assert "Connected through Google Calendar" in host.locator("#meet-card").inner_text()
    screenshot(host, "meet-01-connected")

    # Event Types → Intro Call → Location: Google Meet.
    host.get_by_role("link", name="Event Types").click()
    host.get_by_role("button", name="Edit").first.click()
    host.get_by_label("Location").select_option("google_meet")
    host.get_by_role("button", name="Save").click()
    assert "Google Meet" in host.locator(".event-type-card").inner_text()
    assert "not connected" not in host.locator("main").inner_text()
    link = host.get_by_role("textbox", name="Booking link").input_value()

    # The invitee books; the confirmation and the invitee's email carry the same Meet link.
    invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}).new_page()
    invitee.goto(f"{link}?date={a_weekday_ahead().isoformat()}")
    assert "Google Meet" in invitee.locator(".event-facts, main").first.inner_text()
    invitee.locator(".slot-list a.slot").first.click()
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/"))
    join = invitee.locator("a.join-link").get_attribute("href")
    assert re.fullmatch(r"https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}", join)
    screenshot(invitee, "meet-02-confirmation")
    [email] = smtp.to("bea@example.com")
    assert f"Join Google Meet meeting: {join}" in email.get_body(("plain",)).get_content()


def test_a_permission_unticked_on_googles_page_is_named_and_connecting_again_works(calendar_live, new_context):
    _app, server = calendar_live
    host = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844},
                       color_scheme="dark").new_page()
    sign_in_page(host, server.url)
    host.goto(f"{server.url}/settings/integrations")
    host.locator("#google-card").get_by_role("button", name="Connect Google Calendar").click()
    host.get_by_label("Add, move and delete events for your bookings in your calendars").uncheck()
    screenshot(host, "calendar-06-google-consent-unticked")
    host.get_by_role("button", name="Allow").click()
    host.wait_for_url(re.compile("/settings/integrations"))
    said = host.locator("main").inner_text()
    assert "Google Calendar was not connected: LinkTime needs every permission it asks for" in said
    assert "not given: “Add, move and delete events for your bookings in your calendars”" in said
    assert "leave every box ticked" in said and "Not connected" in host.locator("#google-card").inner_text()
    screenshot(host, "calendar-07-google-permission-missing")
    host.locator("#google-card").get_by_role("button", name="Connect Google Calendar").click()
    host.get_by_role("button", name="Allow").click()
    host.wait_for_url(re.compile("/settings/integrations"))
    assert "Connected host@gmail-sandbox.test" in host.locator("main").inner_text()


def test_a_series_page_puts_every_session_in_the_calendar_with_one_click(tmp_path, sandbox, new_context):
    for app, server in serve(tmp_path, sandbox, "none"):
        with app.app_context():
            from linktime.models import EventType

            event_type = db.session.query(EventType).one()
            event_type.repeat_weeks, event_type.repeat_max = 1, 4
            db.session.commit()
        invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}).new_page()
        day = a_weekday_ahead()
        invitee.goto(f"{server.url}/ada/intro-call?date={day.isoformat()}")
        invitee.locator(".slot-list a.slot").first.click()
        invitee.get_by_label("Your name").fill("Bea Invitee")
        invitee.get_by_label("Email").fill("bea@example.com")
        invitee.get_by_label("Sessions").select_option("3")
        invitee.get_by_role("button", name=re.compile("Confirm")).click()
        invitee.wait_for_url(re.compile(r"/booking/"))
        button = invitee.get_by_role("button", name="Add all 3 sessions to your calendar (.ics)")
        with invitee.expect_download() as download:
            button.click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert text.count("BEGIN:VEVENT") == 3 and "METHOD:PUBLISH" in text
        screenshot(invitee, "series-01-manage-page-all-sessions")


def test_a_calendar_that_stops_answering_keeps_its_busy_hour_and_a_booking_waits(calendar_live, sandbox, new_context):
    """Google stops answering for a while: the invitee still sees the busy hour kept off (the last
    reading), is told some times may be taken, and a booking is refused in words, with the form
    as filled in; once Google answers again, the same click books."""
    _app, server = calendar_live
    host = new_context(timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}).new_page()
    sign_in_page(host, server.url)
    host.goto(f"{server.url}/settings/integrations")
    host.locator("#google-card").get_by_role("button", name="Connect Google Calendar").click()
    host.get_by_label("Sign in as").fill("ada@gmail-sandbox.test")
    host.get_by_role("button", name="Allow").click()
    host.wait_for_url(re.compile("/settings/integrations"))
    day = a_weekday_ahead()
    host.goto(f"{sandbox.url}/sandbox/calendars")
    mark = host.locator("form", has=host.get_by_role("button", name="Mark busy in ada@gmail-sandbox.test"))
    mark.get_by_label("Busy from (UTC)").fill(
        datetime.combine(day, time(9), BERLIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    )
    mark.get_by_label("title").fill("Physio")
    mark.get_by_role("button", name="Mark busy in ada@gmail-sandbox.test").click()

    invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}).new_page()
    invitee.goto(f"{server.url}/ada/intro-call?date={day.isoformat()}")
    invitee.locator(".slot-list a.slot").first.wait_for()
    assert invitee.locator(".slot-list a.slot").first.inner_text().strip() == "10:00"  # read: 09:00 is busy

    sandbox.state.add_fault("error", count=1000, status=503, method="POST", path="/google/calendar/v3/freeBusy")
    later = time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=True)  # the reading is due again
    later.start()
    try:
        invitee.goto(f"{server.url}/ada/intro-call?date={day.isoformat()}&tz=Europe/Berlin")
        invitee.locator(".slot-list a.slot").first.wait_for()
        assert invitee.locator(".slot-list a.slot").first.inner_text().strip() == "10:00"  # the last reading holds
        assert "could not be checked just now" in invitee.locator("#scheduler").inner_text()
        screenshot(invitee, "calendar-06-calendar-not-answering")
        invitee.locator(".slot-list a.slot").first.click()
        invitee.get_by_label("Your name").fill("Bea Invitee")
        invitee.get_by_label("Email").fill("bea@example.com")
        invitee.get_by_role("button", name="Confirm booking").click()
        alert = invitee.get_by_role("alert")
        alert.wait_for()
        assert "calendar could not be checked just now" in alert.inner_text()
        assert invitee.get_by_label("Your name").input_value() == "Bea Invitee"  # nothing to type again
        screenshot(invitee, "calendar-07-booking-waits-for-the-calendar")
        host.goto(f"{server.url}/bookings")
        assert "could not be read since" in host.locator("main").inner_text()
        screenshot(host, "calendar-08-host-told")

    finally:
        later.stop()
    sandbox.state.faults.clear()  # Google answers again; a minute on, the same click books
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=125), tick=True):
        invitee.get_by_role("button", name="Confirm booking").click()
        invitee.wait_for_url(re.compile(r"/booking/"))
    assert "Bea Invitee" in invitee.locator("main").inner_text()
