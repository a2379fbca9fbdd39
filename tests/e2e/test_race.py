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
from tests.conftest import add_event_type, add_user

RACERS = 20


def next_weekday_nine_ny() -> str:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    day = datetime.now(ny).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, tzinfo=ny).astimezone(UTC).isoformat()


def test_exactly_one_of_twenty_concurrent_bookings_wins(live_server, live_app):
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
    assert all("This time is no longer available" in body for code, body in results if code == 409)
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1
        db.session.remove()
