"""Zoom in Chromium against the sandbox over real HTTP: connect, book, move, cancel, disconnect."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import ZoomConnection
from tests.helpers import LiveServer, add_event_type, add_user, close_app, make_app, screenshot, sign_in_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def zoom_live(tmp_path, sandbox):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=3)
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        with app.app_context():
            add_event_type(add_user("ada", timezone="Europe/Berlin"))
            db.session.remove()
        yield app, server
    close_app(app)


def live_meetings(sandbox) -> list[dict]:
    return [m for m in sandbox.state.meetings.values() if not m["deleted"]]


def pick_slot(page, nth_day: int = 0) -> str:
    """Open a day at least two days ahead and click its first time; returns the time's label."""
    today = datetime.now(UTC).date()
    for _ in range(3):
        days = [d for d in page.locator("a.day.available").evaluate_all("els => els.map(e => e.dataset.date)")
                if date.fromisoformat(d) >= today + timedelta(days=2)]
        if len(days) > nth_day:
            break
        page.get_by_label("Next month").click()
        page.wait_for_selector("#month-title")
    page.locator(f'a.day[data-date="{days[nth_day]}"]').click()
    page.wait_for_url(re.compile(f"date={days[nth_day]}"))
    slot = page.locator(".slot-list a.slot").first
    label = slot.inner_text().strip()
    slot.click()
    return label


def test_zoom_from_connect_to_disconnect(zoom_live, sandbox, new_context):
    app, server = zoom_live
    base = server.url
    host = new_context(timezone_id="Europe/Berlin", viewport={"width": 1200, "height": 900}).new_page()
    answers, asked = [], []  # what the host answers to the next confirm dialogs; what was asked

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if not answers or answers.pop(0) else dialog.dismiss()

    host.on("dialog", answer)
    sign_in_page(host, base)

    # Settings → Integrations: Zoom under Video Conferencing, Not connected; the sandbox badge shows.
    host.get_by_text("Settings", exact=True).click()
    host.get_by_role("link", name="Integrations").click()
    card = host.locator("#zoom-card-personal")
    assert "Not connected" in card.inner_text()
    assert host.locator(".badge-sandbox").is_visible()
    screenshot(host, "zoom-01-not-connected")

    # Deny first: a clear message, still not connected.
    card.get_by_role("button", name="Connect").click()
    assert "LinkTime would like to access your Zoom account" in host.content()
    assert "Create meetings" in host.content() and "View your email" in host.content()
    screenshot(host, "zoom-02-consent")
    host.get_by_role("button", name="Deny").click()
    assert "access was not allowed" in host.locator("main").inner_text()
    assert "Not connected" in host.locator("#zoom-card-personal").inner_text()

    # Allow: "Successfully connected", green Connected with the email.
    host.locator("#zoom-card-personal").get_by_role("button", name="Connect").click()
    host.get_by_label("Sign in to the sandbox as").fill("ada@zoom-sandbox.test")
    host.get_by_role("button", name="Allow").click()
    assert "Successfully connected to Zoom as ada@zoom-sandbox.test" in host.locator("main").inner_text()
    card = host.locator("#zoom-card-personal")
    assert "Connected" in card.inner_text() and "ada@zoom-sandbox.test" in card.inner_text()
    assert card.locator(".status-connected .dot").is_visible()
    screenshot(host, "zoom-03-connected")

    # Event Types → edit Intro Call → Location: Zoom.
    host.get_by_role("link", name="Event Types").click()
    host.get_by_role("button", name="Edit").first.click()
    host.get_by_label("Location").select_option("zoom")
    host.get_by_role("button", name="Save").click()
    assert "Zoom" in host.locator(".event-type-card").inner_text()
    link = host.get_by_role("textbox", name="Booking link").input_value()

    # An invitee books: the confirmation shows a join link the sandbox knows.
    invitee = new_context(timezone_id="America/Chicago", viewport={"width": 390, "height": 844}).new_page()
    invitee.goto(link)
    invitee.locator('#scheduler[data-zone="America/Chicago"]').wait_for()  # (the second time: from the first request)
    pick_slot(invitee)
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/"))
    [meeting] = live_meetings(sandbox)
    assert invitee.locator("a.join-link").get_attribute("href") == meeting["join_url"]
    assert f"Meeting ID {meeting['id']}" in invitee.locator("#where").inner_text()
    screenshot(invitee, "zoom-04-confirmation-with-link")
    first_start = meeting["start_time"]

    # Reschedule: the same meeting moves at Zoom.
    invitee.get_by_role("button", name="Reschedule").click()
    pick_slot(invitee, nth_day=1)
    invitee.get_by_role("button", name="Confirm new time").click()
    assert "Rescheduled to" in invitee.locator("main").inner_text()
    [moved] = live_meetings(sandbox)
    assert moved["id"] == meeting["id"] and moved["start_time"] != first_start
    assert invitee.locator("a.join-link").get_attribute("href") == meeting["join_url"]

    # The host's dashboard shows the meeting as created.
    host.get_by_role("link", name="Bookings").click()
    assert "Zoom: created" in host.locator("table.bookings").inner_text()
    screenshot(host, "zoom-05-dashboard")

    # Cancel: deleted at the sandbox.
    invitee.get_by_role("button", name="Cancel booking").click()
    invitee.get_by_role("button", name="Cancel booking").click()
    assert live_meetings(sandbox) == [] and sandbox.state.meetings[meeting["id"]]["deleted"]
    assert "the Zoom meeting was deleted; its link no longer works" in invitee.locator("#where").inner_text()
    screenshot(invitee, "zoom-05b-cancelled-page")

    # Disconnect (confirm prompt): row gone, revoke received, the card swaps in place.
    host.get_by_text("Settings", exact=True).click()
    host.get_by_role("link", name="Integrations").click()
    # Answering Cancel to the question cancels: asked once, nothing sent, still connected.
    asked.clear()
    answers[:] = [False]
    with host.expect_event("dialog"):
        host.locator("#zoom-card-personal").get_by_role("button", name="Disconnect").click()
    host.reload()
    assert len(asked) == 1 and "Connected" in host.locator("#zoom-card-personal").inner_text()
    with app.app_context():
        assert db.session.scalar(select(ZoomConnection)) is not None
        db.session.remove()
    asked.clear()
    host.locator("#zoom-card-personal").get_by_role("button", name="Disconnect").click()
    host.wait_for_selector("#zoom-card-personal .flash-success")
    assert len(asked) == 1  # asked once, not once by htmx and once by the page
    # The activity list is swapped with the card: the account's email is gone from the screen too.
    assert "ada@zoom-sandbox.test" not in host.locator("#recent-activity").inner_text()
    assert "Disconnected a Zoom account" in host.locator("#recent-activity").inner_text()
    card_text = host.locator("#zoom-card-personal").inner_text()
    assert "Zoom is disconnected" in card_text and "Installed Apps" in card_text and "Not connected" in card_text
    screenshot(host, "zoom-06-disconnected")
    with app.app_context():
        assert db.session.scalar(select(ZoomConnection)) is None
        db.session.remove()
    assert sandbox.state.revoked == ["ada@zoom-sandbox.test"]

    # The event type warns; the next booking still works, with no link.
    host.get_by_role("link", name="Event Types").click()
    assert "Zoom is not connected — new bookings get no video link" in host.locator("main").inner_text()
    screenshot(host, "zoom-07-event-type-warning")
    invitee.goto(link)
    invitee.locator('#scheduler[data-zone="America/Chicago"]').wait_for()  # (the second time: from the first request)
    pick_slot(invitee, nth_day=2)
    invitee.get_by_label("Your name").fill("Cy")
    invitee.get_by_label("Email").fill("cy@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    assert "You are scheduled" in invitee.locator("h1").inner_text()
    assert invitee.locator("a.join-link").count() == 0 and "no video link" in invitee.locator("#where").inner_text()
    assert live_meetings(sandbox) == []
