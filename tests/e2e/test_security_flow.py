"""Account safety as people meet it, in Chromium: an emailed invite, a weak password refused,
"Sign out everywhere", and a booking flood told to wait."""
from __future__ import annotations

import re

import pytest

from tests.helpers import add_event_type, add_user, latest_link, screenshot

pytestmark = pytest.mark.e2e


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_invite_by_email_then_sign_out_everywhere(live_server, live_app, new_context):
    base = live_server.url
    with live_app.app_context():
        add_user("ada")
    admin = new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(admin, base, "ada@example.com", "correct horse")
    admin.goto(f"{base}/team")
    admin.get_by_label("Email").fill("grace@example.com")
    admin.get_by_role("button", name="Send invite").click()
    assert "Invite sent to grace@example.com" in admin.content()
    assert admin.get_by_role("button", name="Revoke").is_visible()
    screenshot(admin, "security-01-team-invite")

    # Grace opens the emailed link: her address is fixed, a weak password is refused.
    link = latest_link(live_app, "/signup?invite=")
    grace = new_context(viewport={"width": 390, "height": 844}).new_page()
    grace.goto(base + link)
    assert grace.get_by_label("Email").input_value() == "grace@example.com"
    grace.get_by_label("Your name").fill("Grace Hopper")
    grace.get_by_label("Username").fill("grace")
    grace.get_by_label("Password", exact=True).fill("password1234")
    grace.get_by_label("Repeat password").fill("password1234")
    grace.get_by_role("button", name="Create account").click()
    assert "common password" in grace.locator("#password-error").inner_text()
    screenshot(grace, "security-02-weak-password")
    grace.get_by_label("Password", exact=True).fill("violet canyon drum")
    grace.get_by_label("Repeat password").fill("violet canyon drum")
    grace.get_by_role("button", name="Create account").click()
    assert grace.url.endswith("/event-types/new")

    # Signed in on a laptop and a phone; "Sign out everywhere" on the laptop ends both.
    laptop = new_context().new_page()
    sign_in(laptop, base, "grace@example.com", "violet canyon drum")
    laptop.goto(f"{base}/settings/profile")
    laptop.once("dialog", lambda dialog: dialog.accept())
    laptop.get_by_role("button", name="Sign out everywhere").click()
    assert laptop.url.endswith("/login") and "signed out on every device" in laptop.content()
    screenshot(laptop, "security-03-signed-out-everywhere")
    grace.goto(f"{base}/bookings")
    assert "/login" in grace.url


def test_a_booking_flood_is_told_to_wait(live_server, live_app, new_context):
    live_app.config["BOOKINGS_PER_ADDRESS_PER_HOUR"] = 1
    with live_app.app_context():
        add_event_type(add_user("ada"))
    page = new_context(timezone_id="UTC", viewport={"width": 390, "height": 844}).new_page()
    for attempt in range(2):
        page.goto(f"{live_server.url}/ada/intro-call")
        page.locator("a.slot").nth(attempt).click()
        page.get_by_label("Your name").fill(f"Flood {attempt}")
        page.get_by_label("Email").fill(f"flood{attempt}@example.com")
        page.get_by_role("button", name="Confirm booking").click()
    alert = page.get_by_role("alert")
    assert re.search(r"Too many booking attempts\. Please try again in \d+ minutes\.", alert.inner_text())
    screenshot(page, "security-04-booking-flood")
