"""A host's CalDAV calendars and their bookings, against a real CalDAV server (Radicale).

Busy times in the checked calendars are kept off the booking page (recurring events, other time
zones; free events and unchecked calendars are not), an event added a minute ago still blocks the
booking, and every booking is written into the destination calendar with its meeting link, moved
with it and removed with it — also when the booking changes *during* the write, or the calendar's
answer is lost after it acted.
"""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
import requests
from defusedxml import ElementTree
from sqlalchemy import func, select

from linktime.calendars import busy, service
from linktime.calendars.base import Unreachable
from linktime.calendars.caldav.client import CalDAVClient
from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import (
    AuditEvent,
    Booking,
    CalendarConnection,
    CalendarEvent,
    CalendarProvider,
    ConnectedCalendar,
    EventStatus,
    MeetingStatus,
    User,
)
from linktime.notifications import ics
from tests.helpers import RADICALE_PASSWORD, add_event_type, add_user, book_form, connect_zoom
from tests.web.test_interleavings import Background

TUESDAY = "2026-11-24"  # the clock fixture's Monday is 23 November 2026; New York is UTC-5
AUTH = ("ada", RADICALE_PASSWORD)


def times(page: str) -> list[str]:
    return re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', page)


def day(client, date: str = TUESDAY) -> list[str]:
    return times(client.get(f"/ada/intro-call?tz=America/New_York&date={date}").get_data(as_text=True))


def resources(radicale: str, calendar: str) -> list[str]:
    """The names of the event files in one of Ada's calendars."""
    answer = requests.request("PROPFIND", f"{radicale}/ada/{calendar}/", auth=AUTH, headers={"Depth": "1"})
    hrefs = [e.text for e in ElementTree.fromstring(answer.content).iter("{DAV:}href")]
    return sorted(unquote(href.rsplit("/", 1)[1]) for href in hrefs if href.endswith(".ics"))


def put(radicale: str, calendar: str, name: str, lines: str) -> None:
    body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{name}\r\n" \
           f"DTSTAMP:20261101T000000Z\r\nSUMMARY:{name}\r\n{lines}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    assert requests.put(f"{radicale}/ada/{calendar}/{name}.ics", data=body.encode(), auth=AUTH,
                        headers={"Content-Type": "text/calendar"}).status_code in (201, 204)


@pytest.fixture
def calendars(radicale):
    """Ada's two calendars, emptied (the server lives for the whole module)."""
    for calendar in ("work", "home"):
        for name in resources(radicale, calendar):
            requests.delete(f"{radicale}/ada/{calendar}/{quote(name)}", auth=AUTH)
    return radicale


@pytest.fixture
def ada(app, calendars, clock):
    """Ada with an Intro Call; Work is checked for conflicts, Home is where bookings go."""
    with app.app_context():
        host = add_user("ada")
        add_event_type(host)
        connection = service.connect_with_password(host, CalendarProvider.CALDAV, calendars, "ada", RADICALE_PASSWORD)
        ids = {c.name: c.id for c in connection.calendars}
        service.choose(host, {ids["Work"]}, ids["Home"])
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    return client


def book(client, start: str, email: str = "bea@example.com"):
    return book_form(client, "/ada/intro-call/book", start, name="Bea", email=email, notes="", tz="America/New_York")


def the_booking(app) -> Booking:
    return db.session.scalar(select(Booking).order_by(Booking.id.desc()))


def test_busy_times_of_checked_calendars_are_kept_off_the_booking_page(app, ada, calendars):
    put(calendars, "work", "standup", "DTSTART;TZID=America/New_York:20261103T100000\r\n"
        "DTEND;TZID=America/New_York:20261103T110000\r\nRRULE:FREQ=WEEKLY;BYDAY=TU")
    put(calendars, "work", "berlin", "DTSTART;TZID=Europe/Berlin:20261124T200000\r\n"
        "DTEND;TZID=Europe/Berlin:20261124T203000")  # 14:00 in New York
    put(calendars, "work", "free", "DTSTART:20261124T180000Z\r\nDTEND:20261124T190000Z\r\nTRANSP:TRANSPARENT")
    put(calendars, "work", "declined", "DTSTART:20261124T190000Z\r\nDTEND:20261124T200000Z\r\nSTATUS:CANCELLED")
    put(calendars, "home", "dentist", "DTSTART:20261124T210000Z\r\nDTEND:20261124T220000Z")  # not checked
    shown = day(app.test_client())
    assert "09:30" in shown and "11:00" in shown
    assert not {"10:00", "10:30", "14:00"} & set(shown)  # the weekly stand-up, the Berlin call
    assert {"13:00", "14:30", "16:00", "16:30"} <= set(shown)  # free, cancelled, unchecked calendar
    # A week later the weekly event blocks again; the one-off Berlin call does not.
    later = day(app.test_client(), "2026-12-01")
    assert "10:00" not in later and "14:00" in later
    # Checking Home too: its event blocks from now on, on every worker (the host's pages are renewed).
    with app.app_context():
        host = db.session.scalar(select(User))
        service.choose(host, {c.id for c in db.session.scalars(select(ConnectedCalendar))},
                       service.destination_of(host).id)
    assert not {"16:00", "16:30"} & set(day(app.test_client()))


def test_an_event_added_a_minute_ago_blocks_the_time_though_pages_still_show_it(app, ada, calendars):
    assert "11:00" in day(app.test_client())
    put(calendars, "work", "just-added", "DTSTART:20261124T160000Z\r\nDTEND:20261124T163000Z")
    assert "11:00" in day(app.test_client())  # the page was made from a reading less than a minute old
    answer = book(app.test_client(), "2026-11-24T16:00:00+00:00")
    assert answer.status_code == 409
    assert "11:00 was taken a moment before you" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking)) is None
    assert "11:00" not in day(app.test_client())  # read again, at once, for everyone


def test_a_reading_is_kept_a_minute_and_the_page_follows_it(app, ada, calendars, clock):
    assert "11:00" in day(app.test_client())
    put(calendars, "work", "later", "DTSTART:20261124T160000Z\r\nDTEND:20261124T163000Z")
    clock.shift(busy.FRESH + timedelta(seconds=1))
    assert "11:00" not in day(app.test_client())


def zoom_host_writing_to_home(app, calendars, *, checked: bool):
    """Ada, signed in, with Zoom connected and a Zoom Intro Call; bookings go to Home."""
    with app.app_context():
        host = add_user("ada")
        add_event_type(host, location="zoom")
        connection = service.connect_with_password(host, CalendarProvider.CALDAV, calendars, "ada", RADICALE_PASSWORD)
        home = next(c for c in connection.calendars if c.name == "Home")
        service.choose(host, {home.id} if checked else set(), home.id)
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    return client


def test_each_booking_is_written_to_the_destination_calendar_moved_and_removed(zoom_app, calendars, clock):
    app = zoom_app
    zoom_host_writing_to_home(app, calendars, checked=True)  # Home is both checked and the destination
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    with app.app_context():
        booking = the_booking(app)
        uid, manage = ics.uid(booking), booking.manage_url.split("5000", 1)[1]
        assert booking.meeting.status == MeetingStatus.CREATED
        join = booking.meeting.join_url
        assert booking.calendar_event.status == EventStatus.WRITTEN
    assert resources(calendars, "home") == [f"{uid}.ics"]
    written = requests.get(f"{calendars}/ada/home/{uid}.ics", auth=AUTH).text.replace("\r\n ", "")
    assert f"UID:{uid}" in written and "DTSTART:20261124T150000Z" in written
    assert f"LOCATION:{join}" in written and "/bookings" in written  # the Zoom link; the host's manage link
    assert "METHOD" not in written  # stored, not sent
    # Its own event does not block the booking page: the booking does (and nothing else).
    assert "10:00" not in day(app.test_client()) and "10:30" in day(app.test_client())

    page = app.test_client().get(f"{manage}/reschedule").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page)
    moved = app.test_client().post(f"{manage}/reschedule", data={"start": "2026-11-25T16:00:00+00:00", "tz": "UTC",
                                                                 **({"csrf_token": token.group(1)} if token else {})})
    assert moved.status_code in (302, 303), moved.get_data(as_text=True)
    assert resources(calendars, "home") == [f"{uid}.ics"]  # the same event, moved
    written = requests.get(f"{calendars}/ada/home/{uid}.ics", auth=AUTH).text
    assert "DTSTART:20261125T160000Z" in written and "SEQUENCE:1" in written

    assert app.test_client().post(f"{manage}/cancel", data={"reason": ""}).status_code in (302, 303)
    assert resources(calendars, "home") == []
    with app.app_context():
        assert the_booking(app).calendar_event.status == EventStatus.REMOVED


def group_slots_written_home(app, radicale: str) -> None:
    """Ada with a three-seat Intro Call; Home is checked and is where bookings go."""
    with app.app_context():
        host = add_user("ada")
        add_event_type(host, seats=3)
        connection = service.connect_with_password(host, CalendarProvider.CALDAV, radicale, "ada", RADICALE_PASSWORD)
        home = next(c for c in connection.calendars if c.name == "Home")
        service.choose(host, {home.id}, home.id)


def test_the_seats_left_in_a_group_slot_stay_open(app, calendars, clock):
    group_slots_written_home(app, calendars)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    assert len(resources(calendars, "home")) == 1
    assert "10:00" in day(app.test_client())  # two seats left: the event written for the first is ours
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00", "cy@example.com").status_code == 303
    [one] = resources(calendars, "home")  # one event for the slot, with every seat's invitee
    assert attendees_of(calendars, one) == {"bea@example.com", "cy@example.com"}
    assert "10:00" in day(app.test_client())  # the third seat is still free


def attendees_of(radicale: str, name: str) -> set[str]:
    from icalendar import Calendar

    text = requests.get(f"{radicale}/ada/home/{quote(name)}", auth=AUTH).content
    [event] = Calendar.from_ical(text).walk("VEVENT")
    found = event.get("ATTENDEE", [])
    return {str(a).removeprefix("mailto:") for a in (found if isinstance(found, list) else [found])}


def test_a_group_slot_has_one_event_that_follows_its_seats(app, calendars, clock):
    """Seats taken, given back and moved away: the slot's one event lists who is still coming; a
    moved seat gets its own event at its new time; the last seat given back removes the event."""
    group_slots_written_home(app, calendars)
    for email in ("bea@example.com", "cy@example.com", "di@example.com"):
        assert book(app.test_client(), "2026-11-24T15:00:00+00:00", email).status_code == 303
    [slot] = resources(calendars, "home")
    assert attendees_of(calendars, slot) == {"bea@example.com", "cy@example.com", "di@example.com"}
    with app.app_context():
        bea, cy, di = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        bea_link, cy_link, di_link = (b.manage_url.split("5000", 1)[1] for b in (bea, cy, di))
    app.test_client().post(f"{bea_link}/cancel", data={"reason": ""})
    assert attendees_of(calendars, slot) == {"cy@example.com", "di@example.com"}
    moved = app.test_client().post(f"{cy_link}/reschedule", data={"start": "2026-11-25T15:00:00+00:00", "tz": "UTC"})
    assert moved.status_code in (302, 303)
    names = resources(calendars, "home")
    assert len(names) == 2 and attendees_of(calendars, slot) == {"di@example.com"}
    [own] = [name for name in names if name != slot]
    assert attendees_of(calendars, own) == {"cy@example.com"}
    app.test_client().post(f"{di_link}/cancel", data={"reason": ""})
    assert resources(calendars, "home") == [own]


def test_a_calendar_that_cannot_be_read_shows_its_last_reading_refuses_bookings_and_tells_the_host(
        app, ada, calendars, clock):
    put(calendars, "work", "busy", "DTSTART:20261124T160000Z\r\nDTEND:20261124T163000Z")
    def server_at(url: str) -> None:
        with app.app_context():
            for calendar in db.session.scalars(select(ConnectedCalendar)):
                calendar.remote_id = url + "/" + calendar.remote_id.split("/", 3)[3]
            db.session.commit()

    assert "11:00" not in day(app.test_client())  # read: 11:00 in New York is busy
    server_at("http://127.0.0.1:9")  # nobody listens there now
    clock.shift(busy.FRESH + timedelta(seconds=1))
    page = app.test_client().get(f"/ada/intro-call?tz=America/New_York&date={TUESDAY}").get_data(as_text=True)
    shown = times(page)
    assert "11:00" not in shown and "10:30" in shown  # its last reading still keeps the busy time off
    assert "calendar could not be checked just now" in page
    with app.app_context():
        since = db.session.scalar(select(CalendarConnection.read_failed_since))
        assert since is not None
    for host_page in ("/bookings", "/settings/integrations"):
        text = ada.get(host_page).get_data(as_text=True)
        assert "ould not be read since 01:01" in text and "new bookings wait until it can be read again" in text
    # A booking meanwhile is refused, in words, with the form as filled in: never confirmed unchecked.
    refused = book(app.test_client(), "2026-11-24T15:00:00+00:00")
    assert refused.status_code == 503
    text = refused.get_data(as_text=True)
    assert "Ada’s calendar could not be checked just now" in text
    assert 'value="Bea"' in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 0
    # The server back: read again once the failed reading is a minute old, and the note goes.
    server_at(calendars)
    clock.shift(busy.FRESH + timedelta(seconds=1))
    page = app.test_client().get(f"/ada/intro-call?tz=America/New_York&date={TUESDAY}").get_data(as_text=True)
    assert "11:00" not in times(page) and "could not be checked" not in page
    with app.app_context():
        assert db.session.scalar(select(CalendarConnection.read_failed_since)) is None
    assert "could not be read" not in ada.get("/bookings").get_data(as_text=True)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303


def test_a_cancel_during_the_write_leaves_no_event(app, ada, calendars, clock, monkeypatch):
    arrived, release = threading.Event(), threading.Event()
    real_put = CalDAVClient.put_event

    def held_put(self, *args, **kwargs):
        arrived.set()
        assert release.wait(30)
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(CalDAVClient, "put_event", held_put)
    booking_request = Background(lambda: book(app.test_client(), "2026-11-24T15:00:00+00:00"))
    assert arrived.wait(30)  # the event's write is at the calendar server
    with app.app_context():
        booking_id = the_booking(app).id
    assert ada.post(f"/bookings/{booking_id}/cancel", data={"reason": ""}).status_code in (302, 303)
    release.set()
    booking_request.finish()
    assert booking_request.result.status_code == 303
    clock.shift(timedelta(seconds=5))
    with app.app_context():
        dispatch()  # the cancel's own job, which waited for the write to let go
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.REMOVED and event.in_sync
    assert resources(calendars, "home") == []


def test_a_write_whose_answer_was_lost_is_never_doubled_and_is_removed_by_a_cancel(app, ada, calendars, clock,
                                                                                    monkeypatch):
    real_put = CalDAVClient.put_event
    lost = {"count": 1}

    def acted_then_lost(self, *args, **kwargs):
        written = real_put(self, *args, **kwargs)
        if lost["count"]:
            lost["count"] -= 1
            raise Unreachable("127.0.0.1 could not be reached (ReadTimeout)")
        return written

    monkeypatch.setattr(CalDAVClient, "put_event", acted_then_lost)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    with app.app_context():
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.PENDING and "could not be reached" in event.last_error
    assert len(resources(calendars, "home")) == 1  # it was written all the same
    clock.shift(timedelta(minutes=10))
    with app.app_context():
        dispatch()  # the retry writes the same event again
        assert db.session.scalar(select(CalendarEvent)).status == EventStatus.WRITTEN
    assert len(resources(calendars, "home")) == 1
    with app.app_context():
        booking_id = the_booking(app).id
    ada.post(f"/bookings/{booking_id}/cancel", data={"reason": ""})
    assert resources(calendars, "home") == []


def test_a_write_still_on_its_way_when_the_booking_is_cancelled_is_removed_once_it_lands(app, ada, calendars, clock,
                                                                                        monkeypatch):
    """Forced order: the create times out on our side while it is still travelling; the booking is
    cancelled (nothing to remove yet); then the late write lands. The event is removed again once
    the calendar has had longer than our timeout to act, so the cancelled booking leaves nothing."""
    real_put, travelling = CalDAVClient.put_event, []

    def still_travelling(self, *args, **kwargs):
        if not travelling:
            travelling.append(lambda: real_put(self, *args, **kwargs))
            raise Unreachable("127.0.0.1 could not be reached (ReadTimeout)")
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(CalDAVClient, "put_event", still_travelling)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    assert resources(calendars, "home") == []
    with app.app_context():
        booking_id = the_booking(app).id
    ada.post(f"/bookings/{booking_id}/cancel", data={"reason": ""})
    with app.app_context():
        assert not db.session.scalar(select(CalendarEvent)).in_sync  # it waits to remove it once more
    travelling.pop()()  # the create lands now, after the removal
    assert len(resources(calendars, "home")) == 1
    clock.shift(timedelta(minutes=1))
    with app.app_context():
        dispatch()
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.REMOVED and event.in_sync
    assert resources(calendars, "home") == []


def test_a_cancelled_or_moved_bookings_own_event_never_blocks_its_time(app, ada, calendars, clock, monkeypatch):
    """Home, where bookings go, is checked for conflicts too. The calendar cannot be changed for a
    while (removals and moves fail), so LinkTime's events stay there at their old times: the
    time a cancel or a move freed is offered and bookable all the same, from a fresh reading."""
    with app.app_context():
        host = db.session.scalar(select(User))
        service.choose(host, {c.id for c in db.session.scalars(select(ConnectedCalendar))},
                       db.session.scalar(select(ConnectedCalendar.id).where(ConnectedCalendar.name == "Home")))
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    assert book(app.test_client(), "2026-11-24T16:00:00+00:00", email="cy@example.com").status_code == 303
    assert len(resources(calendars, "home")) == 2

    def unreachable(*args, **kwargs):
        raise Unreachable("127.0.0.1 could not be reached (ConnectTimeout)")

    monkeypatch.setattr(CalDAVClient, "delete_event", unreachable)
    monkeypatch.setattr(CalDAVClient, "put_event", unreachable)
    with app.app_context():
        first, second = db.session.scalars(select(Booking).order_by(Booking.start)).all()
        first_id, manage = first.id, second.manage_url.split("5000", 1)[1]
    ada.post(f"/bookings/{first_id}/cancel", data={"reason": ""})
    moved = app.test_client().post(f"{manage}/reschedule", data={"start": "2026-11-24T18:00:00+00:00", "tz": "UTC"})
    assert moved.status_code in (302, 303)
    assert len(resources(calendars, "home")) == 2  # both still there, at 15:00 and 16:00 UTC
    clock.shift(busy.FRESH + timedelta(seconds=1))  # a fresh reading, which holds them
    shown = day(app.test_client())
    assert "10:00" in shown and "11:00" in shown and "13:00" not in shown  # freed, freed, taken (18:00 UTC)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00", email="di@example.com").status_code == 303


def test_a_refused_password_asks_the_host_to_connect_again(app, ada, calendars):
    with app.app_context():
        connection = db.session.scalar(select(CalendarConnection))
        connection.secret = "changed-at-the-server"
        db.session.commit()
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303  # the booking stands
    with app.app_context():
        event = db.session.scalar(select(CalendarEvent))
        assert event.status == EventStatus.FAILED and "refused this username and password" in event.last_error
        assert db.session.scalar(select(CalendarConnection.status)) == "needs_attention"
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "needs attention" in dashboard and "Not added to your calendar" in dashboard
    assert "Needs attention" in ada.get("/settings/integrations").get_data(as_text=True)
    # Connecting the account again with the right password clears it.
    answer = ada.post("/integrations/caldav/connect", data={"url": calendars, "username": "ada",
                                                           "password": RADICALE_PASSWORD})
    assert answer.status_code == 303
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "needs attention" not in dashboard and "Not added to your calendar" not in dashboard
    with app.app_context():  # and the booking's event, which failed meanwhile, is written now
        assert db.session.scalar(select(CalendarEvent)).status == EventStatus.WRITTEN
    assert len(resources(calendars, "home")) == 1


# ---------------------------------------------------------------- the Integrations page, as a stranger tries it


def test_the_connect_form_says_what_is_wrong_in_the_page_and_keeps_nothing(app, calendars, auth):
    with app.app_context():
        add_user("ada")
    auth.login()
    typed = "typed-s3cret"
    cases = [
        (dict(url=calendars, username="ada", password=typed), 422, "refused this username and password"),
        (dict(url="http://127.0.0.1:9", username="ada", password=typed), 422, "could not be reached"),
        (dict(url="ftp://example.com", username="ada", password=typed), 422, "starting with https://"),
        (dict(url="", username="ada", password=typed), 422, "Enter the server’s address"),
        (dict(url=calendars + "/" + "a" * 3000, username="ada", password=typed), 422, "Field cannot be longer"),
        # a password in the address would be kept and shown: it has its own field
        (dict(url=calendars.replace("http://", "http://ada:" + typed + "@"), username="ada", password=typed), 422,
         "Leave the username and password out of the server’s address"),
        (dict(url="https://cal.example.com:99999/", username="ada", password=typed), 422, "starting with https://"),
        (dict(url="https://" + "c" * 120 + ".example.com/", username="a" * 150, password=typed), 422, "too long"),
        (dict(url=calendars, username="ada\r\nX-Injected: 1", password=typed), 422, "control characters"),
        (dict(url=calendars, username="ада", password="пароль-123"), 422, "refused this username and password"),
    ]
    for data, status, message in cases:
        answer = auth.client.post("/integrations/caldav/connect", data=data)
        page = answer.get_data(as_text=True)
        assert answer.status_code == status and message in page, (data, page[-2000:])
        assert "Traceback" not in page and typed not in page  # a password is never sent back
    # htmx: the section alone comes back, with the message
    part = auth.client.post("/integrations/caldav/connect", headers={"HX-Request": "true"},
                            data=dict(url=calendars, username="ada", password="wrong"))
    assert part.status_code == 422 and part.get_data(as_text=True).lstrip().startswith("<section")
    with app.app_context():
        assert db.session.scalar(select(CalendarConnection)) is None


def test_a_flood_of_connect_attempts_is_stopped(app, calendars, auth):
    with app.app_context():
        add_user("ada")
    auth.login()
    answers = [auth.client.post("/integrations/caldav/connect",
                                data=dict(url="http://127.0.0.1:9", username="ada", password="x")).status_code
               for _ in range(12)]
    assert answers[:10] == [422] * 10 and answers[10:] == [429, 429]
    assert "Too many connection attempts" in auth.client.post(
        "/integrations/caldav/connect", data=dict(url=calendars, username="ada", password="x")).get_data(as_text=True)


def test_another_hosts_calendars_cannot_be_touched(app, calendars, auth):
    with app.app_context():
        ada_connection = service.connect_with_password(
            add_user("ada"), CalendarProvider.CALDAV, calendars, "ada", RADICALE_PASSWORD
        )
        ada_ids = [c.id for c in ada_connection.calendars]
        connection_id = ada_connection.id
        add_user("bob", admin=False)
    auth.login("bob@example.com")
    assert auth.client.post(f"/integrations/calendars/{connection_id}/disconnect").status_code == 404
    assert (
        auth.client.post(
            "/integrations/calendars/choose", data={"check": [str(i) for i in ada_ids], "destination": str(ada_ids[1])}
        ).status_code
        == 303
    )
    with app.app_context():
        kept = db.session.scalars(select(ConnectedCalendar).order_by(ConnectedCalendar.id)).all()
        assert [(c.check_conflicts, c.is_destination) for c in kept] == [(True, True), (True, False)]
    assert "ada at" not in auth.client.get("/settings/integrations").get_data(as_text=True)


def test_choosing_and_disconnecting_from_the_page(app, ada, calendars):
    page = ada.get("/settings/integrations").get_data(as_text=True)
    assert "ada at 127.0.0.1" in page and "Save calendar choices" in page
    assert "only when you are busy" in page and "Disconnect deletes all of it" in page
    with app.app_context():
        ids = {c.name: c.id for c in db.session.scalars(select(ConnectedCalendar))}
        connection_id = db.session.scalar(select(CalendarConnection.id))
    saved = ada.post("/integrations/calendars/choose", headers={"HX-Request": "true"},
                     data={"check": [str(ids["Home"])], "destination": ""})
    assert "Saved." in saved.get_data(as_text=True)
    with app.app_context():
        assert {c.name: (c.check_conflicts, c.is_destination) for c in db.session.scalars(select(ConnectedCalendar))} \
            == {"Home": (True, False), "Work": (False, False)}
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    with app.app_context():
        assert the_booking(app).calendar_event is None  # no destination: written nowhere
    assert "Connected the CalDAV account ada at 127.0.0.1" in ada.get("/settings/integrations").get_data(as_text=True)
    gone = ada.post(f"/integrations/calendars/{connection_id}/disconnect")
    assert gone.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(CalendarConnection)) is None
        assert db.session.scalar(select(ConnectedCalendar)) is None
        # Nothing names the account any more, the activity list included.
        assert "ada at" not in " ".join(db.session.scalars(select(AuditEvent.detail)))
    page = ada.get("/settings/integrations").get_data(as_text=True)
    activity = re.sub(r"\s+", " ", page[page.index("Recent activity"):])
    assert "Connected a CalDAV account (Home, Work)" in activity and "Disconnected a CalDAV account" in activity, (
        activity
    )


def test_a_request_waits_on_calendars_once_in_all_however_many_sessions_it_checks(app, ada, calendars, monkeypatch):
    """A calendar that hangs costs a series' preview one wait, not one per session; the rest is
    answered from what is known, and the page made so is not kept."""
    from linktime.models import EventType

    with app.app_context():
        event_type = db.session.scalar(select(EventType))
        event_type.repeat_weeks, event_type.repeat_max, event_type.horizon_days = 1, 6, 120
        db.session.commit()
    hung, reads = threading.Event(), []

    def hanging_busy(self, *args, **kwargs):
        reads.append(args)
        hung.wait(30)
        return []

    monkeypatch.setattr(busy, "PAGE_WAIT", 0.3)
    monkeypatch.setattr(CalDAVClient, "busy", hanging_busy)
    try:
        preview = app.test_client().get("/ada/intro-call/book?start=2026-11-24T15:00:00%2B00:00&tz=UTC&sessions=6",
                                        headers={"HX-Request": "true"})
        assert preview.status_code == 200
        assert preview.get_data(as_text=True).count("<li>") == 6  # every session answered, from what is known
        assert len(reads) == 1  # Work, for the first session's day; then the request's wait was spent
        with app.app_context():  # the one read that hung is noted, as any unreadable calendar is
            assert db.session.scalar(select(CalendarConnection.read_failed_since)) is not None
    finally:
        hung.set()


def test_a_reschedule_never_strips_the_join_link_from_the_calendar_event(zoom_app, sandbox, calendars, clock,
                                                                         monkeypatch):
    """The event is written again while the meeting's move is at Zoom (no link then): once the move
    is done, the event is written again with the link."""
    from linktime.bookings import service as bookings
    from linktime.jobs.outbox import run_job
    from linktime.models import Job

    app = zoom_app
    client = zoom_host_writing_to_home(app, calendars, checked=False)
    assert book(app.test_client(), "2026-11-24T15:00:00+00:00").status_code == 303
    with app.app_context():
        booking = the_booking(app)
        uid, join, booking_id = ics.uid(booking), booking.meeting.join_url, booking.id
        meeting_id = booking.meeting.external_id
    assert f"LOCATION:{join}" in requests.get(f"{calendars}/ada/home/{uid}.ics", auth=AUTH).text

    # The reschedule's jobs are left to the dispatcher, so that their order can be forced.
    monkeypatch.setattr(bookings, "run_briefly", lambda jobs: None)
    monkeypatch.setattr(bookings, "run_soon", lambda jobs, **kw: None)
    assert client.post(f"/bookings/{booking_id}/reschedule",
                       data={"start": "2026-11-25T16:00:00+00:00"}).status_code in (302, 303)
    with app.app_context():
        jobs = {job.kind: job.id for job in db.session.scalars(select(Job).where(Job.status == "pending"))}
    hold = sandbox.state.add_fault("hold", seconds=30, method="PATCH", path=f"/v2/meetings/{meeting_id}")

    def move_meeting():
        with app.app_context():
            return run_job(jobs["meeting.sync"])

    moving = Background(move_meeting)
    assert hold.arrived.wait(10)  # the move is at Zoom
    with app.app_context():
        run_job(jobs["calendar_event.sync"])  # the event is written meanwhile, without a link
    assert "DTSTART:20261125T160000Z" in requests.get(f"{calendars}/ada/home/{uid}.ics", auth=AUTH).text
    hold.release.set()
    moving.finish()
    clock.shift(timedelta(seconds=5))
    with app.app_context():
        dispatch()
    written = requests.get(f"{calendars}/ada/home/{uid}.ics", auth=AUTH).text.replace("\r\n ", "")
    assert "DTSTART:20261125T160000Z" in written and f"LOCATION:{join}" in written


def test_a_calendar_built_to_be_costly_blocks_its_host_only_and_says_why(app, ada, calendars, clock):
    """An event repeating every second since 2025: not expanded (hours of work), counted as busy
    for the window read, and the host is told which kind of event it was."""
    from tests.hostile import HostileServer, calendar_answer

    hostile = HostileServer()
    try:
        hostile.routes["/ada/work/"] = calendar_answer(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:bomb\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20250101T000000Z\r\nDTEND:20250101T000001Z\r\n"
            "RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        with app.app_context():
            for calendar in db.session.scalars(select(ConnectedCalendar).where(ConnectedCalendar.name == "Work")):
                calendar.remote_id = hostile.url + "/ada/work/"
            db.session.commit()
        assert day(app.test_client()) == []  # busy all along: the event may fall anywhere
        for page in ("/bookings", "/settings/integrations"):
            assert "repeats too often for LinkTime to read" in ada.get(page).get_data(as_text=True)
    finally:
        hostile.close()


def test_slow_calendar_servers_being_connected_never_take_every_thread(tmp_path, clock):
    """Hosts connecting servers that drip: two are checked at once, for at most CALENDAR_TIMEOUT
    each; a third is told to come back, and sign-in and booking pages keep answering meanwhile."""
    from tests.helpers import close_app, make_app, signed_in
    from tests.hostile import HostileServer

    app = make_app(tmp_path, CALENDAR_TIMEOUT=3)
    hostile = HostileServer()
    hostile.routes["/"] = hostile.drip()
    try:
        with app.app_context():
            for name in ("ada", "bob", "cy"):
                add_event_type(add_user(name))
        hosts = [signed_in(app, f"{name}@example.com") for name in ("ada", "bob", "cy")]
        form = dict(url=hostile.url + "/", username="x", password="y")
        checks = [Background(lambda host=host: host.post("/integrations/caldav/connect", data=form))
                  for host in hosts[:2]]
        assert hostile.arrived.acquire(timeout=10) and hostile.arrived.acquire(timeout=10)  # both at the server
        third = hosts[2].post("/integrations/caldav/connect", data=form)
        assert third.status_code == 503 and "Please try again in a minute" in third.get_data(as_text=True)
        assert app.test_client().get("/login").status_code == 200
        assert app.test_client().get("/ada/intro-call").status_code == 200
        for check in checks:
            answer = check.finish()
            assert answer.status_code == 422 and "took too long to answer" in answer.get_data(as_text=True)
    finally:
        hostile.close()
        close_app(app)
