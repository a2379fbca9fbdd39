"""The host's page for one booking: what the invitee wrote, its meeting's story, and moving it for them."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking
from tests.helpers import add_event_type, add_user, connect_zoom, outbox_messages
from tests.web.test_zoom import _fault, book, sandbox_meetings

WEDNESDAY_10 = "2026-11-25T15:00:00+00:00"  # 10:00 New York


@pytest.fixture
def host(zoom_app, zoom_client, clock):
    with zoom_app.app_context():
        add_event_type(add_user("ada"), location="zoom")
        add_user("bob", admin=False)
    zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    return zoom_client


def booking_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Booking.id))


def test_the_page_shows_the_invitee_their_notes_and_the_meeting_story(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    sandbox.state.faults.append(_fault("error", 1))  # Zoom fails once, then makes the meeting
    book(host)
    clock.shift(timedelta(minutes=10))  # the retry is due
    with zoom_app.app_context():
        dispatch()
    page = host.get(f"/bookings/{booking_id(zoom_app)}").get_data(as_text=True)
    assert "Intro Call with Bea" in page and "bea@example.com" in page
    assert "Agenda please" in page  # the notes, never shown before
    assert "Time zone: Berlin (UTC+1)" in page
    history = re.findall(r"<li><small[^>]*><time[^>]*>[^<]*</time></small><br>([^<]*)</li>", page)
    assert history[0] == "Booked by Bea for Tuesday, 24 November 2026, 09:00 (New York time)."
    assert "Zoom did not take a request; LinkTime tries again: " in history[1] and "503" in history[1]
    meeting_id = sandbox_meetings(sandbox)[0]["id"]
    assert history[2] == f"Created the Zoom meeting {meeting_id} for Tuesday, 24 November 2026, 09:00 (New York time)."
    assert "Zoom: created" in page and "Meeting ID" in page
    # The dashboard leads there, and says Zoom once.
    dashboard = host.get("/bookings").get_data(as_text=True)
    assert f'href="/bookings/{booking_id(zoom_app)}"' in dashboard and "Zoom Zoom" not in dashboard


def test_the_host_moves_a_booking_for_the_invitee_who_is_told(host, zoom_app, sandbox):
    connect_zoom(host)
    book(host)
    number = booking_id(zoom_app)
    calendar = host.get(f"/bookings/{number}/reschedule?month=2026-11&date=2026-11-25").get_data(as_text=True)
    assert "Moving Bea’s booking" in calendar
    assert f"/bookings/{number}/reschedule?start=2026-11-25T15:00:00%2B00:00" in calendar  # the host's own flow
    assert "/booking/" not in calendar  # never the invitee's private link
    confirm = host.get(f"/bookings/{number}/reschedule?start={WEDNESDAY_10.replace('+', '%2B')}").get_data(as_text=True)
    assert "Bea is sent the new time" in confirm
    assert "For Bea: <strong>Wednesday, 25 November 2026, 16:00 (Berlin time)</strong>" in confirm
    assert "middle of their night" not in confirm
    late = host.get(f"/bookings/{number}/reschedule?start=2026-11-25T21:30:00%2B00:00").get_data(as_text=True)
    assert "That is 22:30 for Bea, in the middle of their night." in late  # 16:30 in New York
    moved = host.post(f"/bookings/{number}/reschedule", data={"start": WEDNESDAY_10, "tz": "America/New_York",
                                                               "reason": "A board meeting moved onto Tuesday"})
    assert moved.status_code == 303 and moved.location == f"/bookings/{number}"
    page = host.get(moved.location).get_data(as_text=True)
    assert "Moved to Wednesday, 25 November 2026, 10:00 (New York time). Bea is sent the new time." in page
    assert ("Moved by the host from Tuesday, 24 November 2026, 09:00 (New York time) to "
            "Wednesday, 25 November 2026, 10:00 (New York time).") in page
    with zoom_app.app_context():
        dispatch()
    told = [m for m in outbox_messages(zoom_app) if m["To"] == "bea@example.com" and "Rescheduled" in m["Subject"]]
    assert len(told) == 1
    text = told[0].get_body(("plain",)).get_content()
    assert "has moved to a new time. Ada moved it." in text and "Wednesday, 25 November 2026, 16:00" in text  # Berlin
    assert "Reason: A board meeting moved onto Tuesday" in text
    meeting = sandbox_meetings(sandbox)[0]
    assert meeting["start_time"].startswith("2026-11-25T15:00")  # the Zoom meeting moved too


def test_a_taken_or_closed_booking_is_not_moved(host, zoom_app, sandbox):
    book(host)
    book(host, start=WEDNESDAY_10, email="cy@example.com", name="Cy")
    with zoom_app.app_context():
        first, second = db.session.scalars(select(Booking.id).order_by(Booking.id)).all()
    taken = host.post(f"/bookings/{first}/reschedule", data={"start": WEDNESDAY_10, "tz": "America/New_York"})
    assert taken.status_code == 409 and "no longer available" in taken.get_data(as_text=True)
    host.post(f"/bookings/{second}/cancel", data={"reason": ""})
    closed = host.get(f"/bookings/{second}/reschedule", follow_redirects=True).get_data(as_text=True)
    assert "can no longer be changed" in closed and "Cancelled by the host." in closed


def test_another_host_cannot_see_or_move_the_booking(host, zoom_app, zoom_client):
    book(host)
    number = booking_id(zoom_app)
    stranger = zoom_app.test_client()
    stranger.post("/login", data={"email": "bob@example.com", "password": "correct horse"})
    assert stranger.get(f"/bookings/{number}").status_code == 404
    assert stranger.post(f"/bookings/{number}/reschedule", data={"start": WEDNESDAY_10}).status_code == 404
    assert "Bea" not in stranger.get(f"/bookings/{number}").get_data(as_text=True)
