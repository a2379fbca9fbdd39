"""The whole flow as people do it, in Chromium: sign up, publish, book from abroad, cancel."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.helpers import screenshot

pytestmark = pytest.mark.e2e

HOST_ZONE, INVITEE_ZONE = "America/New_York", "Asia/Tokyo"


def expected_times(day: date, notice: timedelta) -> list[str]:
    """Mon–Fri 09:00–17:00 New York, every 30 min, as Tokyo wall-clock times on `day`.

    Worked out here with zoneinfo alone, independently of LinkTime's scheduling code.
    """
    ny, tokyo = ZoneInfo(HOST_ZONE), ZoneInfo(INVITEE_ZONE)
    earliest = datetime.now(UTC) + notice
    times = []
    for ny_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
        if ny_day.weekday() >= 5:
            continue
        start = datetime.combine(ny_day, time(9), ny)
        for step in range(16):
            slot = (start + timedelta(minutes=30 * step)).astimezone(UTC)
            local = slot.astimezone(tokyo)
            if local.date() == day and slot >= earliest:
                times.append(local)
    return [f"{t:%H:%M}" for t in sorted(times)]


def test_sign_up_publish_book_from_another_zone_and_cancel(live_server, new_context):
    base = live_server.url
    host = new_context(timezone_id=HOST_ZONE, viewport={"width": 1200, "height": 900}).new_page()

    # Sign up: the first account; the browser's zone is preselected.
    host.goto(base)
    assert host.url.endswith("/signup")
    expect(host.locator("#timezone")).to_have_value(HOST_ZONE)  # asked of /zones as the page loads
    host.get_by_label("Your name").fill("Ada Lovelace")
    host.get_by_label("Email").fill("ada@example.com")
    host.get_by_label("Username").fill("ada")
    host.get_by_label("Password", exact=True).fill("correct horse")
    host.get_by_label("Repeat password").fill("correct horse")
    screenshot(host, "01-signup")
    host.get_by_role("button", name="Create account").click()

    # Create "Intro Call": 30 min, Mon–Fri 09:00–17:00 (the defaults shown in the form).
    assert host.url.endswith("/event-types/new")
    host.get_by_label("Title").fill("Intro Call")
    assert host.get_by_label("Monday from").input_value() == "09:00"
    assert host.get_by_label("Monday until").input_value() == "17:00"
    assert host.locator("#saturday").input_value() == ""  # the text the time inputs write
    assert "Unavailable" in host.get_by_role("group", name="Saturday").inner_text()
    host.get_by_label("Duration (minutes)").fill("30")
    screenshot(host, "02-new-event-type")
    host.get_by_role("button", name="Save").click()
    link = host.get_by_role("textbox", name="Booking link").input_value()
    assert link == f"{base}/ada/intro-call"
    screenshot(host, "03-event-types")

    # An invitee in Tokyo opens the link: times appear in Tokyo time.
    invitee = new_context(timezone_id=INVITEE_ZONE, viewport={"width": 390, "height": 844}).new_page()
    documents = []
    invitee.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    invitee.goto(link)
    invitee.wait_for_url(re.compile(r"tz=Asia%2FTokyo|tz=Asia/Tokyo"))
    assert invitee.locator("#tz").input_value() == INVITEE_ZONE
    assert invitee.locator("#scheduler").is_visible()
    assert documents == [link]  # the zone came in place: the page was not loaded a second time
    tokyo_today = datetime.now(ZoneInfo(INVITEE_ZONE)).date()
    for _ in range(3):
        days = [d for d in invitee.locator("a.day.available").evaluate_all("els => els.map(e => e.dataset.date)")
                if date.fromisoformat(d) >= tokyo_today + timedelta(days=2)]
        if days:
            break
        invitee.get_by_label("Next month").click()
        invitee.wait_for_selector("#month-title")
    chosen = days[0]
    invitee.locator(f'a.day[data-date="{chosen}"]').click()  # htmx swaps the calendar in place
    invitee.wait_for_url(re.compile(f"date={chosen}"))
    shown = invitee.locator(".slot-list a.slot").all_inner_texts()
    assert [s.strip() for s in shown] == expected_times(date.fromisoformat(chosen), timedelta(hours=4))
    screenshot(invitee, "04-booking-page-tokyo")

    first = shown[0].strip()
    invitee.locator(".slot-list a.slot").first.click()
    assert f"{first} (Tokyo time)" in invitee.locator("article").inner_text()
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_label("Anything that will help").fill("Looking forward to it")
    screenshot(invitee, "05-booking-form")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/[^/]+\?booked=1"))
    confirmation = invitee.locator("article").inner_text()
    assert "You are scheduled" in confirmation
    assert re.search(rf"{first}–\d\d:\d\d \(Tokyo time\)", confirmation)
    screenshot(invitee, "06-confirmation")

    # The host sees it on the dashboard, in New York time.
    host.goto(f"{base}/bookings")
    row = host.locator("table.bookings tbody tr").first
    assert "Bea Invitee" in row.inner_text() and "Intro Call" in row.inner_text()
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", row.inner_text())
    screenshot(host, "07-dashboard")

    # The invitee cancels through their link; the time is offered again.
    invitee.get_by_role("button", name="Cancel booking").click()
    invitee.get_by_label("Reason").fill("Something came up")
    invitee.get_by_role("button", name="Cancel booking").click()
    assert "Cancelled" in invitee.locator("h1").inner_text()
    screenshot(invitee, "08-cancelled")
    invitee.goto(f"{link}?tz={INVITEE_ZONE}&date={chosen}")
    assert invitee.locator(".slot-list a.slot").first.inner_text().strip() == first
    host.goto(f"{base}/bookings?tab=cancelled")
    assert "Something came up" in host.locator("table.bookings").inner_text()


def test_pages_work_by_keyboard_and_without_javascript(live_server, new_context, live_app):
    from linktime.extensions import db
    from tests.helpers import add_event_type, add_user

    with live_app.app_context():
        add_event_type(add_user("ada"))
    page = new_context(java_script_enabled=False, timezone_id="Europe/Berlin").new_page()
    page.goto(f"{live_server.url}/ada/intro-call")
    # Without JavaScript the host's zone is used and can be changed with the form.
    assert page.locator("#tz").input_value() == "America/New_York"
    page.locator("#tz").select_option("Europe/Berlin")
    page.get_by_role("button", name="Change").click()
    assert "tz=Europe" in page.url
    page.locator("a.day.available").first.click()
    assert page.locator(".slot-list a.slot").count() > 0
    page.locator(".slot-list a.slot").first.click()
    assert page.get_by_role("button", name="Confirm booking").is_visible()

    keyboard = new_context(timezone_id="Europe/Berlin").new_page()
    keyboard.goto(f"{live_server.url}/ada/intro-call?tz=Europe/Berlin")
    keyboard.locator("a.day.available").first.focus()
    keyboard.keyboard.press("Enter")
    keyboard.wait_for_url(re.compile("date="))
    keyboard.locator(".slot-list a.slot").first.focus()
    keyboard.keyboard.press("Enter")
    keyboard.wait_for_url(re.compile("/book"))
    with live_app.app_context():
        db.session.remove()


def test_a_series_of_four_booked_and_its_third_session_cancelled(live_app, live_server, new_context):
    from linktime.extensions import db
    from tests.helpers import add_event_type, add_user

    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/Berlin"), repeat_weeks=1, repeat_max=6, horizon_days=90)
        db.session.remove()
    day = datetime.now(UTC).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}).new_page()
    invitee.goto(f"{live_server.url}/ada/intro-call?date={day.isoformat()}")
    invitee.locator(".slot-list a.slot").first.click()
    invitee.wait_for_url(re.compile(r"/intro-call/book\?"))  # loaded, htmx with it
    invitee.get_by_label("Sessions").select_option(label="4 weekly sessions")
    invitee.locator("#series-preview li").nth(3).wait_for()  # the dates, shown as soon as chosen (htmx)
    assert invitee.locator("#series-preview li.struck").count() == 0
    screenshot(invitee, "series-01-four-sessions")
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/"))
    series = invitee.locator("#series")
    assert "4 weekly sessions" in series.inner_text() and series.locator("li").count() == 4
    screenshot(invitee, "series-02-booked")

    invitee.locator("#series li").nth(2).get_by_role("link").click()  # the third session's own page
    assert "this is session 3" in invitee.locator("#series").inner_text()
    invitee.get_by_role("button", name="Cancel booking").click()
    invitee.get_by_role("button", name="Cancel booking").click()  # this one only: the box stays unticked
    invitee.get_by_role("heading", name="Cancelled").wait_for()
    items = invitee.locator("#series li")
    assert [("cancelled" in items.nth(n).inner_text()) for n in range(4)] == [False, False, True, False]
    screenshot(invitee, "series-03-third-cancelled")
