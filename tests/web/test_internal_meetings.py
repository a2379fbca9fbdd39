"""Internal meetings: a host picks teammates and guests, sees the times at which all are free, and
books; everyone gets the meeting link by email, and each host in their own calendar."""
from __future__ import annotations

import re

import requests
from sqlalchemy import select

from linktime.bookings import service
from linktime.extensions import db
from linktime.models import Booking, EventStatus, MeetingStatus
from linktime.notifications import ics
from tests.helpers import RADICALE_PASSWORD, add_event_type, add_user, connect_zoom, signed_in
from tests.web.test_calendar_bookings import resources
from tests.web.test_teams import TUESDAY_15, invitee

FORM = {"title": "Planning", "duration_minutes": "30", "location": "zoom", "location_detail": "", "notes": "Q1"}


def times_offered(page: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', page)


def test_an_internal_meeting_finds_a_time_all_are_free_and_reaches_everyone(mail_app, smtp, radicale, clock):
    from linktime.calendars import service as calendars
    from linktime.models import CalendarProvider

    for calendar in ("work", "home"):
        for name in resources(radicale, calendar):
            requests.delete(f"{radicale}/ada/{calendar}/{name}", auth=("ada", RADICALE_PASSWORD))
    app = mail_app
    with app.app_context():
        ann = add_user("ann", timezone="America/New_York")
        bob = add_user("bob", timezone="Europe/Berlin", admin=False)
        for host, calendar in ((ann, "Work"), (bob, "Home")):
            connection = calendars.connect_with_password(host, CalendarProvider.CALDAV, radicale, "ada",
                                                         RADICALE_PASSWORD)
            calendars.choose(host, set(), next(c.id for c in connection.calendars if c.name == calendar))
        # Bob is booked on Tuesday at 15:00 UTC: the one time of that afternoon's overlap he cannot make.
        service.book_slot(add_event_type(bob, slug="coffee"), TUESDAY_15, invitee(1))
        bob_id = bob.id
    client = signed_in(app, "ann@example.com")
    assert connect_zoom(client).status_code == 302
    assert "New internal meeting" in client.get("/bookings").get_data(as_text=True)

    empty = client.post("/meetings/new", data={**FORM, "action": "find"})
    assert empty.status_code == 422 and "Choose at least one teammate." in empty.get_data(as_text=True)
    bad = client.post("/meetings/new", data={**FORM, "teammates": [str(bob_id)], "guests": "nope", "action": "find"})
    assert bad.status_code == 422 and "Not an email address: nope" in bad.get_data(as_text=True)

    found = client.post("/meetings/new", data={**FORM, "teammates": [str(bob_id)], "guests": "Guest@Example.org",
                                               "action": "find"})
    offered = times_offered(found.get_data(as_text=True))
    tuesday = [t for t in offered if t.startswith("2026-11-24")]
    # New York works from 14:00 UTC, Berlin until 16:00 UTC; Bob is taken 15:00–15:30.
    assert tuesday == ["2026-11-24T14:00:00+00:00", "2026-11-24T14:30:00+00:00", "2026-11-24T15:30:00+00:00"]
    booked = client.post("/meetings/new", data={**FORM, "teammates": [str(bob_id)], "guests": "guest@example.org",
                                                "start": tuesday[0], "action": "book"})
    assert booked.status_code == 303, booked.get_data(as_text=True)
    page = client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "Ann and Bob" in page

    with app.app_context():
        meeting = db.session.scalar(select(Booking).where(Booking.internal.is_(True)))
        assert meeting.meeting.status == MeetingStatus.CREATED
        join, uid = meeting.meeting.join_url, ics.uid(meeting)
        assert [e.status for e in (meeting.calendar_event, meeting.co_hosts[0].calendar_event)] == \
            [EventStatus.WRITTEN, EventStatus.WRITTEN]
    for calendar in ("work", "home"):
        assert f"{uid}.ics" in resources(radicale, calendar)
        assert join in requests.get(f"{radicale}/ada/{calendar}/{uid}.ics",
                                    auth=("ada", RADICALE_PASSWORD)).text.replace("\r\n ", "")
    mail = {m["To"]: m for m in smtp.messages if "Planning" in m["Subject"]}
    assert set(mail) == {"ann@example.com", "bob@example.com", "guest@example.org"}
    for message in mail.values():
        assert join in message.get_body(("plain",)).get_content()
    guest_text = mail["guest@example.org"].get_body(("plain",)).get_content()
    assert "/booking/" not in guest_text  # a guest gets no link to change or cancel it
    assert "Ann set up Planning with Ann and Bob and guest@example.org." in guest_text

    taken = client.post("/meetings/new", data={**FORM, "teammates": [str(bob_id)], "start": tuesday[0],
                                               "action": "book"})
    assert taken.status_code == 409 and "no longer free" in taken.get_data(as_text=True)


def test_internal_meetings_count_towards_the_hosts_daily_limit(app, clock):
    """Their guests are emailed by LinkTime: a host cannot make it mail strangers without bound."""
    app.config["BOOKINGS_PER_HOST_PER_DAY"] = 1
    with app.app_context():
        add_user("ann", timezone="UTC")
        bob_id = add_user("bob", timezone="UTC", admin=False).id
    client = signed_in(app, "ann@example.com")
    form = {**FORM, "location": "none", "teammates": [str(bob_id)], "guests": "guest@example.org", "action": "book"}
    assert client.post("/meetings/new", data={**form, "start": "2026-11-24T10:00:00+00:00"}).status_code == 303
    again = client.post("/meetings/new", data={**form, "start": "2026-11-24T11:00:00+00:00"})
    assert again.status_code == 429 and "cannot take more bookings today" in again.get_data(as_text=True)
