"""Google Meet as a location, over real HTTP against the sandbox's Google: a Meet link per booking
made through the Calendar API's conference data (pending, then made), shown wherever a Zoom link is,
moved and removed with the booking, retried when Google fails, and never made twice."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from linktime.conferencing.base import display_id
from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, CalendarConnection, CalendarEvent, Meeting, MeetingStatus
from tests.helpers import add_event_type, add_user, book_form, calendar_of, close_app, make_app, signed_in
from tests.web.test_event_types import FORM
from tests.web.test_google_outlook import EMAIL, connect, held
from tests.web.test_interleavings import Background

MEET = re.compile(r"https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}")


@pytest.fixture
def meet_app(tmp_path, sandbox, smtp, clock):
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, CALENDAR_TIMEOUT=2, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=smtp.port, ZOOM_LINK_WAIT_SECONDS=30)
    with app.app_context():
        add_event_type(add_user("ada"), location="google_meet")
    yield app
    close_app(app)


@pytest.fixture
def ada(meet_app):
    return signed_in(meet_app)


def book(app, start="2026-11-24T15:00:00+00:00", email="bea@example.com"):
    return book_form(app.test_client(), "/ada/intro-call/book", start, name="Bea", email=email, notes="",
                     tz="America/New_York")


def meet_events(sandbox) -> list[dict]:
    return [e for events in held(sandbox, "google").values() for e in events if MEET.search(e["where"] or "")]


def conferences(sandbox) -> int:
    return len(sandbox.app.extensions["calendar_sandbox"].conferences)


def test_without_google_the_page_promises_no_link_and_the_host_is_told(meet_app, ada, sandbox):
    saved = ada.post("/event-types/1/edit", data={**FORM, "slug": "intro-call", "location": "google_meet"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Google Meet is not connected, so bookings of “Intro Call” get no Google Meet link" in saved
    assert "Google Meet is not connected — new bookings get no video link" in ada.get("/event-types").get_data(
        as_text=True
    )
    page = meet_app.test_client().get("/ada/intro-call").get_data(as_text=True)
    assert "Online — the host will send you the link" in page and "Google Meet" not in page
    assert book(meet_app).status_code == 303
    with meet_app.app_context():
        assert db.session.scalar(select(Meeting)).status == MeetingStatus.NO_CONNECTION
    assert "Connected through Google Calendar" not in ada.get("/settings/integrations").get_data(as_text=True)
    connect(ada, "google")  # and once Google Calendar is connected, that booking gets its link
    with meet_app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status == MeetingStatus.CREATED and MEET.fullmatch(meeting.join_url)


def test_a_meet_link_per_booking_everywhere_a_zoom_link_goes(meet_app, ada, sandbox, smtp):
    connect(ada, "google")
    integrations = ada.get("/settings/integrations").get_data(as_text=True)
    assert "Connected through Google Calendar" in integrations and EMAIL["google"] in integrations
    assert "Location</span> Google Meet" in meet_app.test_client().get("/ada/intro-call").get_data(as_text=True)
    answer = book(meet_app)
    assert answer.status_code == 303
    with meet_app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status == MeetingStatus.CREATED and MEET.fullmatch(meeting.join_url)
        link, code = meeting.join_url, display_id(meeting)
        assert code and link.endswith("/" + code)
        # the Meet's own event is the booking's event in the host's Google calendar: no second one
        assert db.session.scalar(select(func.count(CalendarEvent.id))) == 0
    [event] = meet_events(sandbox)
    assert event["title"] == "Intro Call with Bea" and event["start"] == "2026-11-24 15:00"
    # like every event LinkTime writes for the host: who, and where to change it
    [text] = [ev.get("description", "") for acc in sandbox.app.extensions["calendar_sandbox"].accounts.values()
              for cal in acc["calendars"].values() for ev in cal["events"].values() if ev.get("conference")]
    assert "Intro Call with Ada and Bea." in text and "Change or cancel: http://127.0.0.1:5000/bookings" in text
    page = meet_app.test_client().get(answer.location).get_data(as_text=True)
    assert link in page and f"Meeting ID {code}" in page
    assert link in ada.get("/bookings").get_data(as_text=True)
    assert len(smtp.messages) == 2
    for message in smtp.messages:  # both confirmations, and their invites
        assert link in message.get_body(("plain",)).get_content()
        assert link in str(calendar_of(message)[0].walk("VEVENT")[0]["LOCATION"])
    with meet_app.app_context():
        manage = db.session.scalar(select(Booking)).manage_url.split("5000", 1)[1]
    moved = meet_app.test_client().post(
        f"{manage}/reschedule", data={"start": "2026-11-25T16:00:00+00:00", "tz": "UTC"}
    )
    assert moved.status_code in (302, 303)
    [event] = meet_events(sandbox)
    assert event["start"] == "2026-11-25 16:00" and event["where"] == link  # the same conference, moved
    meet_app.test_client().post(f"{manage}/cancel", data={"reason": ""})
    assert meet_events(sandbox) == [] and conferences(sandbox) == 1


@pytest.mark.parametrize("fault", [dict(kind="error", status=503), dict(kind="lost_answer")])
def test_a_failed_or_lost_create_is_retried_into_one_conference(meet_app, ada, sandbox, clock, fault):
    connect(ada, "google")
    with meet_app.app_context():
        calendar_id = db.session.scalar(select(CalendarConnection)).account
    sandbox.state.add_fault(fault["kind"], status=fault.get("status", 500), method="POST",
                            path=f"/google/calendar/v3/calendars/{calendar_id}/events")
    assert book(meet_app).status_code == 303  # the booking stands
    with meet_app.app_context():
        assert db.session.scalar(select(Meeting)).status == MeetingStatus.PENDING
    clock.shift(timedelta(minutes=10))
    with meet_app.app_context():
        dispatch()
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status == MeetingStatus.CREATED and MEET.fullmatch(meeting.join_url)
    assert len(meet_events(sandbox)) == 1 and conferences(sandbox) == 1


def test_a_cancel_during_the_create_leaves_no_conference_event(meet_app, ada, sandbox, clock):
    connect(ada, "google")
    with meet_app.app_context():
        calendar_id = db.session.scalar(select(CalendarConnection)).account
    hold = sandbox.state.add_fault("hold", seconds=30, method="POST",
                                   path=f"/google/calendar/v3/calendars/{calendar_id}/events")
    booking = Background(lambda: book(meet_app))
    try:
        assert hold.arrived.wait(30)
        with meet_app.app_context():
            manage = db.session.scalar(select(Booking)).manage_url.split("5000", 1)[1]
        assert meet_app.test_client().post(f"{manage}/cancel", data={"reason": ""}).status_code in (302, 303)
    finally:
        hold.release.set()
    booking.finish()
    clock.shift(timedelta(seconds=30))
    with meet_app.app_context():
        dispatch()
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status == MeetingStatus.CANCELLED and meeting.in_sync
    assert meet_events(sandbox) == []


def test_a_revoked_google_grant_is_said_on_the_meeting(meet_app, ada, sandbox):
    connect(ada, "google")
    requests.post(f"{sandbox.url}/sandbox/calendars/revoke", json={"provider": "google", "email": EMAIL["google"]})
    requests.post(f"{sandbox.url}/sandbox/calendars/expire-access-tokens")
    assert book(meet_app).status_code == 303
    with meet_app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status == MeetingStatus.FAILED and "needs to be reconnected" in meeting.last_error
        assert "refused LinkTime's access" in meeting.last_error
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "Retry" in dashboard and "needs attention" in dashboard
    assert (
        "Needs attention" in ada.get("/settings/integrations").get_data(as_text=True).split('id="meet-card"')[1][:300]
    )
    again = connect(ada, "google").get_data(as_text=True)  # connected again: the link is made now
    assert "1 upcoming booking without a meeting link gets one now" in again
    with meet_app.app_context():
        assert db.session.scalar(select(Meeting)).status == MeetingStatus.CREATED
    assert len(meet_events(sandbox)) == 1
