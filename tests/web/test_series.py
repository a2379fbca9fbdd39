"""Recurring bookings, in the booking service: sessions at the host's same local time across
daylight-saving changes, partial availability, all or none, one meeting per session at the Zoom
sandbox, cancelling one session or the rest, and a series counted once against the invitee's cap."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import func, select

from linktime.bookings import availability, series, service
from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, BookingStatus, EventType, Meeting, MeetingStatus
from linktime.notifications import ics
from tests.helpers import add_event_type, add_user, book_form, connect_zoom

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
BEA = service.Invitee(name="Bea", email="bea@example.com", timezone="Europe/Berlin")


def weekly(app, **fields):
    with app.app_context():
        return add_event_type(add_user("ada"), repeat_weeks=1, repeat_max=6, horizon_days=120, **fields).id


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


@pytest.mark.parametrize("today,first,expected_utc,expected_berlin", [
    # Spring: New York changes on 14 March, Berlin on 28 March.
    ("2027-03-01", datetime(2027, 3, 9, 15, tzinfo=UTC), ["15:00", "14:00", "14:00", "14:00"],
     ["16:00", "15:00", "15:00", "16:00"]),
    # Autumn: Berlin changes on 25 October, New York on 1 November.
    ("2026-10-19", datetime(2026, 10, 20, 14, tzinfo=UTC), ["14:00", "14:00", "15:00", "15:00"],
     ["16:00", "15:00", "16:00", "16:00"]),
])
def test_sessions_keep_the_hosts_local_time_across_clock_changes(app, today, first, expected_utc, expected_berlin):
    event_type_id = weekly(app)
    with time_machine.travel(datetime.fromisoformat(today).replace(tzinfo=UTC), tick=False), app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        booked = series.book_series(event_type, first, 4, BEA)
        assert [b.start.strftime("%H:%M") for b in booked] == expected_utc
        assert {local(b.start, NEW_YORK)[-5:] for b in booked} == {"10:00"}  # the host's 10:00 every week
        # the invitee's clock moves in the weeks when one side has changed and the other not yet
        assert [local(b.start, BERLIN)[-5:] for b in booked] == expected_berlin
        assert [b.series_index for b in booked] == [1, 2, 3, 4] and len({b.series_id for b in booked}) == 1
        assert len({b.uid for b in booked}) == 4  # each its own invite UID


def test_taken_sessions_are_shown_and_the_free_ones_booked_or_none(app, clock):
    event_type_id = weekly(app)
    with app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        first = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 10:00 in New York
        service.book_slot(event_type, datetime(2026, 12, 1, 15, tzinfo=UTC),  # the second Tuesday is taken
                          service.Invitee(name="Cy", email="cy@example.com", timezone="UTC"))
        sessions = series.plan(event_type, first, 4)
        assert [s.free for s in sessions] == [True, False, True, True]
        with pytest.raises(series.SeriesUnavailable) as refused:
            series.book_series(event_type, first, 4, BEA, all_or_nothing=True)
        assert refused.value.missing == [datetime(2026, 12, 1, 15, tzinfo=UTC)]
        assert db.session.scalar(select(func.count(Booking.id)).where(Booking.invitee_email == BEA.email)) == 0
        booked = series.book_series(event_type, first, 4, BEA, key="form-1")
        assert [b.start.day for b in booked] == [24, 8, 15] and [b.series_index for b in booked] == [1, 2, 3]
        again = series.book_series(event_type, first, 4, BEA, key="form-1")  # the same form sent twice
        assert [b.id for b in again] == [b.id for b in booked]
        with pytest.raises(availability.SlotUnavailable):
            series.book_series(event_type, first, 7, BEA)  # more sessions than the host allows


def test_a_series_counts_once_against_the_invitees_daily_cap(app, clock):
    event_type_id = weekly(app)
    with app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        series.book_series(event_type, datetime(2026, 11, 24, 15, tzinfo=UTC), 5, BEA)
        service.book_slot(event_type, datetime(2026, 11, 25, 15, tzinfo=UTC), BEA)
        service.book_slot(event_type, datetime(2026, 11, 26, 15, tzinfo=UTC), BEA)  # 3 bookings in all: the cap
        with pytest.raises(service.BookingLimit):
            service.book_slot(event_type, datetime(2026, 11, 27, 15, tzinfo=UTC), BEA)


def test_each_session_has_its_own_meeting_and_one_or_the_rest_can_be_cancelled(zoom_app, zoom_client, sandbox, clock):
    event_type_id = weekly(zoom_app, location="zoom")
    zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(zoom_client)
    with zoom_app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        booked = series.book_series(event_type, datetime(2026, 11, 24, 15, tzinfo=UTC), 4, BEA)
        ids = [b.id for b in booked]
        meetings = [db.session.get(Booking, i).meeting for i in ids]
        assert all(m.status == MeetingStatus.CREATED for m in meetings) and len({m.external_id for m in meetings}) == 4
    live = lambda: sorted(m["start_time"] for m in sandbox.state.meetings.values() if not m["deleted"])
    assert len(live()) == 4
    with zoom_app.app_context():
        service.cancel_booking(db.session.get(Booking, ids[2]), by="invitee")  # the third only
        assert len(live()) == 3
        cancelled = db.session.get(Booking, ids[0]).series_sessions()
        assert [b.status for b in cancelled] == ["confirmed", "confirmed", "cancelled", "confirmed"]
        gone = service.cancel_rest(db.session.get(Booking, ids[1]), by="host")  # the second and everything after
        assert [b.id for b in gone] == [ids[1], ids[3]]
        assert [b.status for b in db.session.get(Booking, ids[0]).series_sessions()] == [
            BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.CANCELLED, BookingStatus.CANCELLED]
        assert db.session.scalar(select(func.count(Meeting.id)).where(Meeting.status == MeetingStatus.CREATED)) == 1
    assert live() == ["2026-11-24T15:00:00Z"]


# ---------------------------------------------------------------- on the pages, as an invitee and a host

FIRST = "2026-11-24T15:00:00+00:00"  # Tuesday 10:00 in New York


@pytest.fixture
def weekly_with_mail(mail_app, clock):
    event_type_id = weekly(mail_app, location="none")
    with mail_app.app_context():  # the second Tuesday is taken already
        service.book_slot(db.session.get(EventType, event_type_id), datetime(2026, 12, 1, 15, tzinfo=UTC),
                          service.Invitee(name="Cy", email="cy@example.com", timezone="UTC"))
    return mail_app


def test_the_form_offers_a_series_and_shows_which_sessions_are_free(weekly_with_mail):
    client = weekly_with_mail.test_client()
    page = client.get(f"/ada/intro-call/book?start={FIRST.replace('+', '%2B')}&tz=America/New_York").get_data(
        as_text=True
    )
    assert "Just this one" in page and "4 weekly sessions" in page and "6 weekly sessions" in page
    assert "Only book if every session is free" in page
    preview = client.get(f"/ada/intro-call/book?start={FIRST.replace('+', '%2B')}&tz=America/New_York&sessions=4",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert preview.lstrip().startswith('<div id="series-preview"')
    items = re.findall(r"<li( class=\"struck\")?>([^<]+)", preview)
    assert [bool(struck) for struck, _ in items] == [False, True, False, False]
    assert items[1][1].startswith("Tuesday, 1 December 2026, 10:00") and "not available" in preview
    assert "3 of 4 sessions are free" in preview


def test_booking_a_series_books_the_free_sessions_with_one_confirmation(weekly_with_mail, smtp):
    app = weekly_with_mail
    answer = book_form(app.test_client(), "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com",
                       notes="", tz="America/New_York", sessions="4")
    assert answer.status_code == 303
    manage = app.test_client().get(answer.location).get_data(as_text=True)
    assert "3 weekly sessions, Tuesdays 10:00" in manage and "this is session 1" in manage
    # the page offers every session in one file too, each under its own session's UID
    page_file = re.search(r'href="(/booking/[^"]+/series\.ics)" download>Add all 3 sessions', manage)[1]
    with app.app_context():
        uids = {ics.uid(b) for b in db.session.scalars(select(Booking).where(Booking.series_id.is_not(None)))}
    assert {str(e["UID"]) for e in Calendar.from_ical(app.test_client().get(page_file).data).walk("VEVENT")} == uids
    [confirmation] = smtp.to("bea@example.com")  # one message for the series, not one per session
    text = confirmation.get_body(("plain",)).get_content()
    assert "This is a series: 3 weekly sessions, Tuesdays 10:00." in text
    assert "1. Tuesday, 24 November 2026, 10:00" in text and "3. Tuesday, 15 December 2026, 10:00" in text
    series_file = re.search(r"All sessions for your calendar: http://127.0.0.1:5000(\S+)", text)[1]
    calendar = Calendar.from_ical(app.test_client().get(series_file).data)
    assert calendar["METHOD"] == "PUBLISH" and len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == 3
    assert len([m for m in smtp.to("ada@example.com") if "Bea" in m["Subject"]]) == 1  # the host's, once too


def test_all_or_nothing_books_nothing_and_says_which_session_is_taken(weekly_with_mail):
    app = weekly_with_mail
    answer = book_form(app.test_client(), "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com",
                       notes="", tz="America/New_York", sessions="4", all_or_nothing="y")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "Not every session is free (Tuesday, 1 December 2026, 10:00" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id)).where(Booking.invitee_email == "bea@example.com")) == 0


def test_one_session_or_the_rest_are_cancelled_from_the_manage_page(weekly_with_mail, smtp):
    app = weekly_with_mail
    book_form(app.test_client(), "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com", notes="",
              tz="America/New_York", sessions="4")
    with app.app_context():
        tokens = [b.manage_token for b in db.session.scalars(
            select(Booking).where(Booking.series_id.isnot(None)).order_by(Booking.start))]
    assert len(tokens) == 3  # 24 November, 8 and 15 December: the 1st was taken
    client = app.test_client()
    client.post(f"/booking/{tokens[1]}/cancel", data={"reason": ""})  # the second only
    page = client.get(f"/booking/{tokens[0]}/cancel").get_data(as_text=True)
    assert "Also cancel every later session of this series" in page and "1 later session: " in page
    with app.app_context():
        assert [b.status for b in db.session.scalars(
            select(Booking).where(Booking.series_id.isnot(None)).order_by(Booking.start))] == [
            "confirmed", "cancelled", "confirmed"]
    client.post(f"/booking/{tokens[0]}/cancel", data={"reason": "", "rest": "y"})  # the first and the rest
    with app.app_context():
        assert [b.status for b in db.session.scalars(
            select(Booking).where(Booking.series_id.isnot(None)).order_by(Booking.start))] == ["cancelled"] * 3
    listing = client.get(f"/booking/{tokens[0]}").get_data(as_text=True)
    assert listing.count("— cancelled") == 3


def test_the_host_sets_up_a_recurring_event_type(app, auth):
    from tests.web.test_event_types import FORM

    with app.app_context():
        add_user("ada")
    auth.login()
    saved = auth.client.post("/event-types/new", data={**FORM, "slug": "coaching", "repeat_weeks": "2",
                                                       "repeat_max": "6"})
    assert saved.status_code == 302
    with app.app_context():
        event_type = db.session.scalar(select(EventType).where(EventType.slug == "coaching"))
        assert (event_type.repeat_weeks, event_type.repeat_max) == (2, 6)
    refused = auth.client.post("/event-types/new", data={**FORM, "slug": "x", "repeat_weeks": "9", "repeat_max": "40"})
    assert refused.status_code == 422 and "Enter a number from 2 to 12." in refused.get_data(as_text=True)


@pytest.mark.parametrize("sessions", ["7", "999", "-3", "abc", "2" * 40])
def test_strange_session_counts_are_refused_in_the_page(weekly_with_mail, sessions):
    answer = book_form(weekly_with_mail.test_client(), "/ada/intro-call/book", FIRST, name="Bea",
                       email="bea@example.com", notes="", tz="America/New_York", sessions=sessions)
    assert answer.status_code == 422 and "Choose how many sessions from the list." in answer.get_data(as_text=True)
    with weekly_with_mail.app_context():
        assert db.session.scalar(select(func.count(Booking.id)).where(Booking.invitee_email == "bea@example.com")) == 0


def test_an_event_type_without_series_offers_none(app, clock):
    with app.app_context():
        add_event_type(add_user("ada"))
    client = app.test_client()
    page = client.get(f"/ada/intro-call/book?start={FIRST.replace('+', '%2B')}").get_data(as_text=True)
    assert "Sessions" not in page
    answer = book_form(client, "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com", notes="",
                       tz="UTC", sessions="3")
    assert answer.status_code == 422
    assert client.get("/booking/not-a-real-token/series.ics").status_code == 404


def test_the_host_cancels_a_session_and_the_rest_from_the_dashboard(weekly_with_mail):
    app = weekly_with_mail
    book_form(app.test_client(), "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com", notes="",
              tz="America/New_York", sessions="4")
    with app.app_context():
        first, second, third = db.session.scalars(
            select(Booking.id).where(Booking.series_id.isnot(None)).order_by(Booking.start)).all()
    host = app.test_client()
    host.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert "Session 2 of a series" in host.get("/bookings").get_data(as_text=True)
    assert "Also cancel every later session of this series" in host.get(f"/bookings/{second}/cancel").get_data(
        as_text=True
    )
    done = host.post(f"/bookings/{second}/cancel", data={"reason": "Away", "rest": "y"}, follow_redirects=True)
    assert "So is the later session of the series." in done.get_data(as_text=True)
    with app.app_context():
        assert [db.session.get(Booking, i).status for i in (first, second, third)] == ["confirmed", "cancelled",
                                                                                     "cancelled"]


def test_a_booking_made_while_the_series_reads_the_calendars_takes_its_session(app, clock, monkeypatch):
    """Forced order: another invitee books the third Tuesday after the series' first check and
    before its transaction; the series, deciding under the host lock, books the other three."""
    event_type_id = weekly(app)
    real = availability.outside_window
    interleaved = []

    def meanwhile(event_type, start):
        if not interleaved:
            interleaved.append(True)
            service.book_slot(event_type, datetime(2026, 12, 8, 15, tzinfo=UTC),
                              service.Invitee(name="Cy", email="cy@example.com", timezone="UTC"))
        return real(event_type, start)

    monkeypatch.setattr(availability, "outside_window", meanwhile)
    with app.app_context():
        event_type = db.session.get(EventType, event_type_id)
        booked = series.book_series(event_type, datetime(2026, 11, 24, 15, tzinfo=UTC), 4, BEA)
        assert [b.start.day for b in booked] == [24, 1, 15]
        taken = db.session.scalars(select(Booking).where(Booking.start == datetime(2026, 12, 8, 15, tzinfo=UTC))).all()
        assert [b.invitee_email for b in taken] == ["cy@example.com"]


def test_a_series_is_confirmed_though_its_first_session_is_cancelled_before_the_message_leaves(
        weekly_with_mail, smtp, monkeypatch):
    app = weekly_with_mail
    # The messages wait for the dispatcher (as when the mail server is slow), so the cancel comes first.
    for module in (service, series):
        monkeypatch.setattr(module, "run_soon", lambda jobs, **kw: None)
    book_form(app.test_client(), "/ada/intro-call/book", FIRST, name="Bea", email="bea@example.com", notes="",
              tz="America/New_York", sessions="4")
    with app.app_context():
        tokens = [b.manage_token for b in db.session.scalars(
            select(Booking).where(Booking.series_id.isnot(None)).order_by(Booking.start))]
    app.test_client().post(f"/booking/{tokens[0]}/cancel", data={"reason": ""})  # the first session only
    assert smtp.to("bea@example.com") == []
    with app.app_context():
        dispatch()

    subjects = [m["Subject"].split(":")[0] for m in smtp.to("bea@example.com")]
    assert sorted(subjects) == ["Cancelled", "Confirmed"]
    [confirmation] = [m for m in smtp.to("bea@example.com") if m["Subject"].startswith("Confirmed")]
    text = confirmation.get_body(("plain",)).get_content()
    assert "2 weekly sessions" in text and "8 December 2026" in text and "24 November" not in text
    assert len([m for m in smtp.to("ada@example.com") if m["Subject"].startswith("New booking: Bea")]) == 1


@pytest.mark.parametrize("zone,expected", [
    ("Europe/Berlin", "4 weekly sessions, Tuesdays 16:00"),
    # Berlin's clocks change on 25 October, New York's on 1 November: for one week the session is
    # an hour later in New York.
    ("America/New_York", "4 weekly sessions, Tuesdays 10:00 (11:00 from 27 October; 10:00 from 3 November)"),
    ("Asia/Tokyo", "4 weekly sessions, Tuesdays 23:00 (Wednesdays 00:00 from 28 October)"),
])
def test_the_series_line_says_each_change_of_the_readers_clock(app, zone, expected):
    from types import SimpleNamespace

    from linktime.formatting import format_series

    berlin = ZoneInfo("Europe/Berlin")
    sessions = [SimpleNamespace(start=datetime(2026, 10, day, 16, tzinfo=berlin) if day < 32
                                else datetime(2026, 11, day - 31, 16, tzinfo=berlin),
                                event_type=SimpleNamespace(repeat_weeks=1)) for day in (20, 27, 34, 41)]
    with app.app_context():  # outside a request: the 24-hour clock, as in emails
        assert format_series(sessions, zone) == expected
