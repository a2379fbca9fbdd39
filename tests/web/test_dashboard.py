"""The host's dashboard: search, days, and the same list as a CSV file a spreadsheet opens safely."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from linktime.extensions import db
from linktime.models import Booking, EventType
from tests.helpers import add_event_type, add_user

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def ada(app, client, auth):
    with time_machine.travel(NOW, tick=False), app.app_context():
        host = add_user("ada", timezone="America/New_York")
        event_type = add_event_type(host)
        bob = add_user("bob", admin=False)
        add_event_type(bob)
        people = [("Bea Invitee", "bea@example.com", 1, "About the plan"), ("Cy Smith", "cy@corp.example", 2, ""),
                  ("=HYPERLINK(\"http://evil.example\")", "dee@example.com", 9, "+1 call me"),
                  ("Bob's friend", "friend@example.com", 3, "")]
        for name, email, days, notes in people:
            start = NOW + timedelta(days=days, hours=3)  # 10:00 or 09:00 in New York... within the day
            owner = bob if name == "Bob's friend" else host
            kind = db.session.scalar(db.select(EventType).where(EventType.host_id == owner.id))
            db.session.add(Booking(host_id=owner.id, event_type_id=kind.id, title="Intro Call", location="none",
                                   start=start, end=start + timedelta(minutes=30), invitee_name=name,
                                   invitee_email=email, invitee_timezone="Europe/Berlin", notes=notes))
        db.session.commit()
        assert event_type.id
    with time_machine.travel(NOW, tick=False):
        auth.login()
        yield client


def rows(page: str) -> int:
    return page.count('id="booking-')


def test_search_finds_by_name_email_or_title_and_says_when_nothing_matches(ada):
    assert rows(ada.get("/bookings").get_data(as_text=True)) == 3  # Bob's booking is his
    assert rows(ada.get("/bookings?q=bea").get_data(as_text=True)) == 1
    assert rows(ada.get("/bookings?q=CORP.EXAMPLE").get_data(as_text=True)) == 1
    assert rows(ada.get("/bookings?q=intro").get_data(as_text=True)) == 3
    assert rows(ada.get("/bookings?q=friend").get_data(as_text=True)) == 0
    none = ada.get("/bookings?q=%25").get_data(as_text=True)  # a % is a character, not a wildcard
    assert rows(none) == 0 and "No upcoming bookings match." in none
    kept = ada.get("/bookings?q=bea&tab=past").get_data(as_text=True)
    assert 'value="bea"' in kept and 'href="/bookings?tab=upcoming&amp;q=bea"' in kept  # tabs keep the search


def test_days_narrow_the_list_in_the_hosts_own_days(ada):
    assert rows(ada.get("/bookings?from=2026-11-25").get_data(as_text=True)) == 2  # Cy (25th), the 2 Dec one
    assert rows(ada.get("/bookings?from=2026-11-24&to=2026-11-25").get_data(as_text=True)) == 2
    assert rows(ada.get("/bookings?to=2026-11-24").get_data(as_text=True)) == 1
    assert rows(ada.get("/bookings?from=not-a-day").get_data(as_text=True)) == 3  # ignored, not a 500


def test_export_is_the_filtered_list_with_formulas_defused(ada):
    answer = ada.get("/bookings/export.csv?from=2026-11-24")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="linktime-upcoming-bookings.csv"'
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [row["Invitee email"] for row in table] == ["bea@example.com", "cy@corp.example", "dee@example.com"]
    assert table[0]["Start"] == "2026-11-24 10:00" and table[0]["Time zone"] == "America/New_York"
    assert table[0]["Notes"] == "About the plan" and table[0]["Status"] == "confirmed"
    assert table[2]["Invitee"] == "'=HYPERLINK(\"http://evil.example\")" and table[2]["Notes"] == "'+1 call me"
    only_cy = list(csv.DictReader(io.StringIO(ada.get("/bookings/export.csv?q=cy").get_data(as_text=True))))
    assert len(only_cy) == 1
    assert "friend@example.com" not in ada.get("/bookings/export.csv").get_data(as_text=True)
