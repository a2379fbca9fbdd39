"""Invitees book, cancel and reschedule; hosts see and cancel bookings."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from linktime.extensions import db
from linktime.models import Booking, EventType
from tests.helpers import add_event_type, add_user, book_form, form_key

# Monday 23 November 2026, 01:00 in New York.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
# Tuesday 09:00 New York (EST, UTC-5) = 14:00 UTC = 15:00 Berlin.
TUESDAY_9 = "2026-11-24T14:00:00+00:00"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def slot_links(page: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(r'href="(/ada/intro-call/book\?[^"]+)"', page)]


def book(client, start=TUESDAY_9, *, tz="Europe/Berlin", key=None, **fields):
    data = dict(name="Bea Invitee", email="bea@example.com", notes="About the project", tz=tz)
    data.update(fields)
    start = data.pop("start", start)
    return book_form(client, "/ada/intro-call/book", start, key=key, **data)


def count_bookings(app, **where) -> int:
    with app.app_context():
        query = select(func.count(Booking.id))
        for key, value in where.items():
            query = query.where(getattr(Booking, key) == value)
        return db.session.scalar(query)


def test_times_are_shown_in_the_invitee_time_zone(client, host):
    page = client.get("/ada/intro-call?tz=Europe/Berlin&date=2026-11-24").get_data(as_text=True)
    assert "Tuesday, 24 November" in page
    times = re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', page)
    assert times[0] == "15:00" and times[-1] == "22:30" and len(times) == 16
    tokyo = client.get("/ada/intro-call?tz=Asia/Tokyo&date=2026-11-24").get_data(as_text=True)
    # 09:00–17:00 New York is 23:00–07:00 Tokyo: Tuesday holds Monday's late hours too.
    assert re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)', tokyo)[:2] == ["00:00", "00:30"]


def test_calendar_marks_weekdays_with_free_times(client, host):
    page = client.get("/ada/intro-call?tz=America/New_York&month=2026-11").get_data(as_text=True)
    available = re.findall(r'class="day available[^"]*" data-date="(2026-11-\d\d)"', page)
    assert "2026-11-24" in available and "2026-11-27" in available
    assert "2026-11-28" not in available and "2026-11-20" not in available  # Saturday; the past


def test_day_pick_by_htmx_returns_only_the_scheduler(client, host):
    response = client.get("/ada/intro-call?tz=UTC&date=2026-11-24", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="scheduler"') and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True)
    assert "<html" in full and 'id="scheduler"' in full
    assert "HX-Request" in client.get("/ada/intro-call?tz=UTC").headers["Vary"]


def test_book_then_confirmation_page(client, app, host):
    form = client.get(
        slot_links(client.get("/ada/intro-call?tz=Europe/Berlin&date=2026-11-24").get_data(as_text=True))[0]
    )
    assert "Tuesday, 24 November 2026, 15:00 (Berlin time)" in form.get_data(as_text=True)
    response = book(client)
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "You are scheduled" in page
    assert "Tuesday, 24 November 2026, 15:00–15:30 (Berlin time)" in page
    assert "Reschedule" in page and "Cancel booking" in page
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.start == datetime(2026, 11, 24, 14, tzinfo=UTC)
        assert (booking.invitee_email, booking.invitee_timezone) == ("bea@example.com", "Europe/Berlin")


def test_a_double_submitted_form_books_once(client, app, host):
    key = form_key(client, "/ada/intro-call/book?start=" + TUESDAY_9.replace("+", "%2B"))
    first, second = book(client, key=key), book(client, key=key)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert count_bookings(app) == 1


def test_who_loses_a_time_keeps_their_details_and_picks_another_beside_them(client, app, host):
    book(client)
    response = book(client, key="", email="other@example.com", name="Other", notes="Second try")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "15:00 was taken a moment before you. Your details are kept" in page  # Berlin time
    assert 'value="Other"' in page and 'value="other@example.com"' in page and "Second try" in page
    times = re.findall(r'<input type="radio" name="start" value="([^"]+)">', page)
    assert len(times) == 8 and TUESDAY_9 not in times
    assert times[0] == "2026-11-24T14:30:00+00:00"  # the same day's next time first
    assert "Tuesday, 24 November" in page and "<del>" in page
    # Sent without choosing: asked again, nothing lost.
    again = client.post("/ada/intro-call/book", data=dict(
        name="Other", email="other@example.com", notes="Second try", tz="Europe/Berlin", taken=TUESDAY_9))
    assert again.status_code == 409 and "Choose one of the free times below." in again.get_data(as_text=True)
    assert 'value="other@example.com"' in again.get_data(as_text=True)
    chosen = client.post("/ada/intro-call/book", data=dict(
        name="Other", email="other@example.com", notes="Second try", tz="Europe/Berlin", taken=TUESDAY_9,
        start=times[0]))
    assert chosen.status_code == 303
    assert count_bookings(app, invitee_email="other@example.com", start=datetime(2026, 11, 24, 14, 30, tzinfo=UTC)) == 1


@pytest.mark.parametrize("fields,status,message", [
    ({"name": ""}, 422, "This field is required"),
    ({"name": "n" * 101}, 422, "longer than 100"),
    ({"email": "not an email"}, 422, "valid email"),
    ({"email": ""}, 422, "This field is required"),
    ({"notes": "x" * 2001}, 422, "under 2,000"),
    ({"start": ""}, 400, "not available"),
    ({"start": "next tuesday"}, 400, "not available"),
    ({"start": "2026-11-24T14:00:00"}, 400, "not available"),  # no offset: ambiguous
    ({"start": "2026-11-20T14:00:00+00:00"}, 422, "not available"),  # in the past
    ({"start": "2026-11-28T14:00:00+00:00"}, 422, "not available"),  # Saturday
    ({"start": "2026-11-24T08:00:00+00:00"}, 422, "not available"),  # 03:00 in New York
    ({"start": "2026-11-24T14:10:00+00:00"}, 422, "not available"),  # off the half-hour grid
    ({"start": "2027-06-01T14:00:00+00:00"}, 422, "not available"),  # beyond 60 days
])
def test_bad_input_gets_a_clear_message_and_books_nothing(client, app, host, fields, status, message):
    response = book(client, **fields)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count_bookings(app) == 0


@pytest.mark.parametrize("path", ["/nobody", "/nobody/intro-call", "/ada/no-such-event",
                                  "/ada/no-such-event/book?start=2026-11-24T14:00:00%2B00:00",
                                  "/booking/tampered-token", "/booking/tampered-token/cancel",
                                  "/booking/" + "x" * 500])
def test_unknown_addresses_are_404(client, host, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_invitee_cancels_through_their_link_and_the_slot_is_free_again(client, app, host):
    manage = book(client).location
    token = manage.split("/booking/")[1].split("?")[0]
    assert TUESDAY_9.replace("+", "%2B") not in client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(
        as_text=True
    )
    assert client.post(f"/booking/{token[:-1]}X/cancel").status_code == 404
    response = client.post(f"/booking/{token}/cancel", data={"reason": "Something came up"})
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Cancelled" in page and "Something came up" in page and "Cancel booking" not in page
    assert TUESDAY_9.replace("+", "%2B") in client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True)
    again = client.post(f"/booking/{token}/cancel", data={}, follow_redirects=True)
    assert "can no longer be changed" in again.get_data(as_text=True)
    assert count_bookings(app, status="cancelled", cancelled_by="invitee") == 1


def test_invitee_reschedules_the_same_booking(client, app, host):
    token = book(client).location.split("/booking/")[1].split("?")[0]
    page = client.get(f"/ada/intro-call?reschedule={token}&tz=Europe/Berlin&date=2026-11-25").get_data(as_text=True)
    assert "Rescheduling your booking" in page
    link = re.findall(r'href="(/booking/[^"]+/reschedule\?[^"]+)"', page)[2].replace("&amp;", "&")
    confirm = client.get(link).get_data(as_text=True)
    assert "Wednesday, 25 November 2026, 16:00 (Berlin time)" in confirm
    start = re.search(r'name="start" type="hidden" value="([^"]+)"', confirm)[1]
    response = client.post(f"/booking/{token}/reschedule", data={"start": start, "tz": "Europe/Berlin"})
    assert "Rescheduled to Wednesday, 25 November 2026, 16:00" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        assert booking.start == datetime(2026, 11, 25, 15, tzinfo=UTC) and booking.sequence == 1
    assert count_bookings(app) == 1
    # The old time is free again.
    assert TUESDAY_9.replace("+", "%2B") in client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True)


def test_reschedule_onto_a_taken_time_is_refused(client, app, host):
    token = book(client).location.split("/booking/")[1].split("?")[0]
    book(client, start="2026-11-24T15:00:00+00:00", email="c@example.com")
    response = client.post(f"/booking/{token}/reschedule", data={"start": "2026-11-24T15:00:00+00:00", "tz": "UTC"})
    assert response.status_code == 409 and "no longer available" in response.get_data(as_text=True)


def test_host_sees_and_cancels_bookings_with_a_reason(client, app, host, auth):
    book(client)
    auth.login()
    page = client.get("/bookings").get_data(as_text=True)
    assert "Bea Invitee" in page and "Intro Call" in page and "09:00–09:30" in page  # host's zone
    booking_id = re.search(r'/bookings/(\d+)/cancel', page)[1]
    assert "Cancel this booking?" in client.get(f"/bookings/{booking_id}/cancel").get_data(as_text=True)
    done = client.post(f"/bookings/{booking_id}/cancel", data={"reason": "Out sick"}, follow_redirects=True)
    assert "Cancelled Bea Invitee" in done.get_data(as_text=True)
    cancelled = client.get("/bookings?tab=cancelled").get_data(as_text=True)
    assert "Out sick" in cancelled and "Bea Invitee" in cancelled
    assert "Bea Invitee" not in client.get("/bookings").get_data(as_text=True)


def test_past_bookings_are_listed_apart(client, app, host, auth, clock):
    book(client)
    clock.move_to(NOW + timedelta(days=3))
    auth.login()
    assert "Bea Invitee" in client.get("/bookings?tab=past").get_data(as_text=True)
    assert "Bea Invitee" not in client.get("/bookings").get_data(as_text=True)


def test_group_event_takes_up_to_its_seats(client, app):
    with app.app_context():
        add_event_type(add_user("ada"), seats=3)
    for n in range(3):
        assert book(client, email=f"p{n}@example.com").status_code == 303
    page = client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True)
    assert TUESDAY_9.replace("+", "%2B") not in page
    assert book(client, key="", email="p4@example.com").status_code == 409
    assert count_bookings(app) == 3


def test_a_group_slot_form_sent_twice_takes_one_seat(client, app):
    with app.app_context():
        add_event_type(add_user("ada"), seats=3)
    key = form_key(client, "/ada/intro-call/book?start=" + TUESDAY_9.replace("+", "%2B"))
    first, second = book(client, key=key), book(client, key=key)
    assert first.location == second.location and count_bookings(app) == 1
    # Another form is another booking: whether an email holds a seat is never looked up.
    assert book(client).location != first.location and count_bookings(app) == 2


def statements_of(app, request) -> list[str]:
    """The SQL statements one request runs."""
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            request()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return statements


def count_queries(app, request) -> int:
    """How many SQL statements one request costs."""
    return len(statements_of(app, request))


def test_public_page_costs_a_constant_number_of_queries(client, app, host):
    from linktime.host_lock import availability_changed

    def queries_for_page() -> int:
        return count_queries(app, lambda: assert_ok(client.get("/ada/intro-call?tz=UTC&month=2026-12")))

    empty = queries_for_page()
    assert empty >= 2  # the event type with its host, the bookings
    with app.app_context():
        et = db.session.scalar(select(EventType))
        for day in range(40):
            start = NOW + timedelta(days=day, hours=9)
            db.session.add(Booking(host_id=et.host_id, event_type_id=et.id, title="x", location="none",
                                   start=start, end=start + timedelta(minutes=30), invitee_name="n",
                                   invitee_email=f"{day}@example.com", invitee_timezone="UTC"))
        availability_changed(et.host_id)  # as book_slot's host lock does: the cached calendar is stale
        db.session.commit()
    assert queries_for_page() == empty
    assert queries_for_page() == 1  # then it is served from the cache: the event type with its host


def test_dashboard_costs_a_constant_number_of_queries(client, app, host, auth):
    from linktime.models import Meeting

    auth.login()

    def add_zoom_bookings(count: int, first_day: int) -> None:
        with app.app_context():
            et = db.session.scalar(select(EventType))
            for day in range(first_day, first_day + count):
                start = NOW + timedelta(days=day, hours=9)
                meeting = Meeting(host_id=et.host_id, start=start, end=start + timedelta(minutes=30))
                db.session.add(Booking(host_id=et.host_id, event_type_id=et.id, title="x", location="zoom",
                                       start=start, end=start + timedelta(minutes=30), invitee_name="n",
                                       invitee_email=f"{day}@example.com", invitee_timezone="UTC", meeting=meeting))
            db.session.commit()

    def queries() -> int:
        return count_queries(app, lambda: assert_pending(client.get("/bookings")))

    add_zoom_bookings(1, 1)
    one = queries()
    add_zoom_bookings(20, 2)
    assert queries() == one


def assert_ok(response) -> None:
    assert response.status_code == 200


def assert_pending(response) -> None:
    assert "Zoom: pending" in response.get_data(as_text=True)


def test_the_daily_limit_holds_on_a_25_hour_day(client, app):
    """Fall back in New York (7 Nov 2027): a day's first and last slots are 24.5 real hours apart."""
    from linktime.scheduling.rules import hours_to_json, parse_hours

    with app.app_context():
        add_event_type(add_user("ada"), max_per_day=1, horizon_days=400,
                       weekly_hours={str(d): hours_to_json(parse_hours("00:00-24:00")) for d in range(7)})
    assert book(client, start="2027-11-07T04:00:00+00:00").status_code == 303  # 00:00 EDT
    late = book(client, start="2027-11-08T04:30:00+00:00", email="c@example.com")  # 23:30 EST, same day
    assert late.status_code in (409, 422)
    assert count_bookings(app) == 1


def test_an_existing_bookings_buffer_is_kept_by_other_event_types(client, app):
    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada)
        add_event_type(ada, slug="deep-dive", title="Deep Dive", buffer_after_minutes=60)
    response = book_form(client, "/ada/deep-dive/book", TUESDAY_9, name="Bea", email="bea@example.com", tz="UTC")
    assert response.status_code == 303
    times = re.findall(r'class="outline slot"[^>]*>(\d\d:\d\d)',
                       client.get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True))
    assert times[0] == "15:30"  # 14:00 is booked; 14:30 and 15:00 sit in its 60-minute buffer


@pytest.mark.parametrize("name", ["Bea\nBcc: everyone@example.com", "Bea\r\nX", "Bea\u2028Invitee"])
def test_line_breaks_in_a_name_are_refused_with_a_message(client, app, host, name):
    response = book(client, name=name)
    assert response.status_code == 422 and "one line" in response.get_data(as_text=True)
    assert count_bookings(app) == 0


def test_a_form_opened_for_a_time_not_offered_says_so_at_once(client, host):
    taken_later = client.get("/ada/intro-call/book?start=2026-11-28T14:00:00%2B00:00")  # a Saturday
    assert taken_later.status_code == 422 and "not available" in taken_later.get_data(as_text=True)
    assert 'name="email"' not in taken_later.get_data(as_text=True)
    book(client)
    taken = client.get("/ada/intro-call/book?start=" + TUESDAY_9.replace("+", "%2B"))
    assert taken.status_code == 409 and "no longer available" in taken.get_data(as_text=True)


def test_a_twelve_hour_booking_still_blocks_the_next_morning(app, clock):
    """Busy times are read from (host, start) bounded on both sides: the longest booking still counts."""
    from linktime.bookings.availability import busy_times

    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada)
        start = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)  # 21:30 in New York, lasting 12 hours
        db.session.add(Booking(host_id=ada.id, title="Overnight", location="none", start=start,
                               end=start + timedelta(hours=12), invitee_name="n", invitee_email="n@example.com",
                               invitee_timezone="UTC"))
        db.session.commit()
        window = datetime(2026, 11, 24, 14, tzinfo=UTC), datetime(2026, 11, 24, 15, tzinfo=UTC)
        assert [b.start for b in busy_times(ada.id, *window, zone="UTC")] == [start]
    page = app.test_client().get("/ada/intro-call?tz=UTC&date=2026-11-24").get_data(as_text=True)
    assert "14:00" not in page and "14:30" in page
