"""The host's screens at desktop and phone widths: the menu, the bookings as cards, one booking's page."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import add_event_type, add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.fixture
def booked(live_app, live_server):
    from linktime.bookings import service

    with live_app.app_context():
        event_type = add_event_type(add_user("ada", timezone="Europe/London"))
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
        while start.weekday() >= 5 or not 9 <= start.hour < 15:
            start += timedelta(hours=1)
        service.book_slot(event_type, start, service.Invitee(
            name="Bea Invitee", email="bea@example.com", timezone="Asia/Tokyo", notes="Bring the quarterly plan"))
    return live_server.url


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_bookings_read_well_and_lead_to_the_booking(booked, new_context, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(page, booked)
    page.goto(f"{booked}/bookings")
    menu = page.locator("details.main-menu")
    if width < 768:  # folded behind Menu, opened with a tap, closed with Escape
        assert not menu.evaluate("m => m.open") and not page.get_by_role("link", name="Event Types").is_visible()
        page.get_by_text("Menu").click()
        assert page.get_by_role("link", name="Event Types").is_visible()
        page.keyboard.press("Escape")
        assert not menu.evaluate("m => m.open")
    else:
        assert page.get_by_role("link", name="Event Types").is_visible() and not page.get_by_text("Menu").is_visible()
    card = page.locator("table.bookings tbody tr").first
    assert no_sideways_scroll(page)
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # Status and Cancel are on the screen
    assert card.get_by_role("button", name=re.compile("Cancel")).is_visible()
    screenshot(page, f"host-dashboard-{width}")
    # Searching: by what a host remembers of the invitee; nothing found is said so.
    page.get_by_label("Search").fill("nobody-like-this")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_text("No upcoming bookings match.").is_visible()
    page.get_by_label("Search").fill("bea@")
    page.get_by_role("button", name="Show").click()
    assert page.locator("table.bookings tbody tr").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these bookings (CSV)").click()
    assert "bea@example.com" in download.value.path().read_text(encoding="utf-8")
    card = page.locator("table.bookings tbody tr").first

    card.get_by_role("link", name="Bea Invitee").click()
    assert page.locator("h1").inner_text() == "Intro Call with Bea Invitee"
    assert page.locator(".invitee-notes").inner_text() == "Bring the quarterly plan"
    assert "For Bea Invitee:" in page.locator(".booking-facts").inner_text()  # in her Tokyo time too
    assert re.match(r"Booked by Bea Invitee for ", page.locator(".history li").first.inner_text().split("\n")[-1])
    assert no_sideways_scroll(page)
    screenshot(page, f"host-booking-{width}")


def test_the_host_reschedules_for_the_invitee_by_clicking(booked, new_context):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_page(page, booked)
    page.goto(f"{booked}/bookings")
    page.get_by_role("link", name="Bea Invitee").click()
    before = page.locator(".booking-facts dd").first.inner_text()
    page.get_by_role("button", name="Reschedule").click()
    assert "Moving Bea Invitee’s booking" in page.locator("main").inner_text()
    days = page.locator("a.day.available")
    days.nth(1).click()
    page.locator(".slot:focus").wait_for()
    page.locator(".slot-list a.slot").last.click()  # 16:30 in London: 00:30 or 01:30 for Bea in Tokyo
    chosen = datetime.fromisoformat(parse_qs(urlsplit(page.url).query)["start"][0])
    tokyo = chosen.astimezone(ZoneInfo("Asia/Tokyo"))
    warning = page.get_by_role("note").inner_text()
    assert warning == (f"That is {tokyo:%H:%M} for Bea Invitee, in the middle of their night. "
                       "Check with them first, or pick another time.")
    screenshot(page, "host-reschedule-night")
    page.get_by_label("Reason (optional, shared with the other side)").fill("Travelling that morning")
    page.get_by_role("button", name="Confirm new time").click()
    flash = page.locator(".flash").first.inner_text()
    assert flash.startswith("Moved to ") and flash.endswith("Bea Invitee is sent the new time.")
    after = page.locator(".booking-facts dd").first.inner_text()
    assert after != before
    assert "Moved by the host from" in page.locator(".history").inner_text()
    screenshot(page, "host-booking-moved")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_event_type_form_shows_what_the_location_needs_and_hours_as_times(
    live_app, live_server, new_context, width
):
    with live_app.app_context():
        add_user("ada", timezone="Europe/London")
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(page, live_server.url)
    page.goto(f"{live_server.url}/event-types/new")
    detail = page.locator("#location_detail")
    assert not detail.is_visible()  # "To be agreed" needs no address
    page.get_by_label("Location", exact=True).select_option("phone")
    assert page.get_by_label("Phone number").is_visible()
    page.get_by_label("Location", exact=True).select_option("zoom")
    assert not detail.is_visible()
    warning = page.locator(".flash-warning", has_text="Connect Zoom")
    assert warning.is_visible()  # Zoom is not connected: said where it applies, as advice
    assert page.get_by_text("With Zoom or Google Meet, every booking gets its own meeting link").is_visible()
    page.get_by_label("Location", exact=True).select_option("google_meet")
    meet = page.locator(".flash-warning", has_text="Connect Google Calendar")
    assert meet.is_visible() and not warning.is_visible()  # Meet links are made through Google Calendar
    assert meet.get_by_role("link").get_attribute("href").endswith("/settings/integrations#calendars")
    screenshot(page, f"event-type-form-meet-{width}")
    page.get_by_label("Location", exact=True).select_option("in_person")
    assert not warning.is_visible()
    page.get_by_label("Address").fill("1 Main Street")

    assert not page.locator("#monday").is_visible()  # the text field is the fallback
    page.get_by_label("Monday until").fill("12:00")
    page.get_by_role("button", name="Add hours: Monday").click()
    page.get_by_label("Monday from (2)").fill("13:00")
    page.get_by_label("Monday until (2)").fill("17:30")
    page.get_by_role("button", name="Copy to all weekdays: Monday’s hours to Tuesday to Friday").click()
    assert page.get_by_role("status").filter(has_text="Copied").count() == 1
    page.get_by_role("button", name="Add hours: Saturday").click()
    page.get_by_role("button", name="Remove Wednesday 13:00–17:30").click()
    screenshot(page, f"event-type-form-{width}")
    page.get_by_label("Title").fill("Split day")
    page.get_by_role("button", name="Save").click()
    assert "“Split day” saved" in page.locator(".flash").first.inner_text()

    page.goto(f"{live_server.url}/event-types")
    page.get_by_role("button", name="Edit").first.click()
    hours = {day: page.locator(f"#{day}").input_value() for day in
             ("monday", "tuesday", "wednesday", "friday", "saturday", "sunday")}
    assert hours == {"monday": "09:00-12:00, 13:00-17:30", "tuesday": "09:00-12:00, 13:00-17:30",
                     "wednesday": "09:00-12:00", "friday": "09:00-12:00, 13:00-17:30",
                     "saturday": "09:00-17:00", "sunday": ""}
    assert page.get_by_label("Address").input_value() == "1 Main Street"
