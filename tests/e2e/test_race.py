"""Twenty invitees submit the same one-seat slot at once, against a running server."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, select

from linktime.extensions import db
from linktime.models import Booking
from tests.helpers import add_event_type, add_user

RACERS = 20


def next_weekday_nine_ny() -> str:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    day = datetime.now(ny).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, tzinfo=ny).astimezone(UTC).isoformat()


def test_exactly_one_of_twenty_concurrent_bookings_wins(live_server, live_app):
    live_app.config["BOOKINGS_PER_ADDRESS_PER_HOUR"] = 1000  # twenty invitees, here all on one address
    with live_app.app_context():
        add_event_type(add_user("ada"))
        db.session.remove()
    start = next_weekday_nine_ny()
    book_url = f"{live_server.url}/ada/intro-call/book"
    barrier = threading.Barrier(RACERS)

    def race(n: int) -> tuple[int, str]:
        with requests.Session() as session:
            form = session.get(book_url, params={"start": start, "tz": "UTC"}, timeout=30).text
            fields = dict(re.findall(r'name="(csrf_token|key|start|tz)" type="hidden" value="([^"]*)"', form))
            barrier.wait(timeout=30)
            response = session.post(book_url, data={**fields, "name": f"Racer {n}", "email": f"racer{n}@example.com"},
                                    allow_redirects=False, timeout=60)
            return response.status_code, response.text

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(race, range(RACERS)))

    codes = sorted(code for code, _ in results)
    assert codes == [303] + [409] * (RACERS - 1), codes
    assert all("a moment before you" in body for code, body in results if code == 409)
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1
        db.session.remove()


def test_in_a_browser_a_taken_slot_says_so_and_shows_nothing_of_the_holder(live_server, live_app, new_context):
    """Two people open the same time; the second, typing the first's email, learns nothing."""
    import pytest

    pytest.importorskip("playwright")
    from tests.helpers import screenshot

    with live_app.app_context():
        add_event_type(add_user("ada"))
    start = next_weekday_nine_ny()
    url = f"{live_server.url}/ada/intro-call/book?start={start.replace('+', '%2B')}&tz=UTC"
    first, second = (
        new_context(timezone_id="UTC", viewport={"width": 390, "height": 844}).new_page() for _ in range(2)
    )
    for page in (first, second):
        page.goto(url)
        page.get_by_role("button", name="Confirm booking").wait_for()
    first.get_by_label("Your name").fill("Cleo")
    first.get_by_label("Email").fill("cleo@example.com")
    first.get_by_role("button", name="Confirm booking").click()
    assert "You are scheduled" in first.locator("h1").inner_text()
    second.get_by_label("Your name").fill("Mallory")
    second.get_by_label("Email").fill("cleo@example.com")
    second.get_by_role("button", name="Confirm booking").click()
    second.wait_for_load_state("networkidle")
    alert = second.locator("[role=alert]").inner_text()
    assert "was taken a moment before you" in alert and "Your details are kept" in alert
    assert "Cleo" not in second.content() and "/booking/" not in second.content()
    assert second.get_by_label("Email").input_value() == "cleo@example.com"  # what they typed is still there
    screenshot(second, "race-taken-slot")
    second.get_by_role("radio").first.check()  # another time, beside the form
    second.get_by_label("Email").fill("mallory@example.com")
    second.get_by_role("button", name="Confirm booking").click()
    assert "You are scheduled" in second.locator("h1").inner_text()
