"""Hosts create, edit, deactivate and delete event types."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import Booking, EventType
from tests.helpers import add_event_type, add_user

FORM = dict(title="Intro Call", slug="", description="Let's talk", duration_minutes="30", location="none",
            location_detail="", monday="09:00-17:00", tuesday="09:00-12:00, 13:00-17:00", wednesday="",
            thursday="", friday="09:00-17:00", saturday="", sunday="", date_overrides="2026-12-24 off",
            min_notice_minutes="240", buffer_before_minutes="0", buffer_after_minutes="10", max_per_day="",
            horizon_days="60", increment_minutes="30", seats="1", active="y")


@pytest.fixture
def signed_in(app, auth):
    with app.app_context():
        add_user("ada")
    auth.login()


def test_create_shows_the_public_link_and_stores_hours(client, app, signed_in):
    response = client.post("/event-types/new", data=FORM, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "http://127.0.0.1:5000/ada/intro-call" in page and "Copy link" in page
    with app.app_context():
        et = db.session.scalar(select(EventType))
        assert et.slug == "intro-call"
        assert et.weekly_hours == {"0": [["09:00", "17:00"]], "1": [["09:00", "12:00"], ["13:00", "17:00"]],
                                   "4": [["09:00", "17:00"]]}
        assert et.date_overrides == {"2026-12-24": []}
        assert et.buffer_after_minutes == 10 and et.max_per_day is None


def test_edit_form_shows_stored_hours_and_saves_changes(client, app, signed_in):
    client.post("/event-types/new", data=FORM)
    with app.app_context():
        et_id = db.session.scalar(select(EventType.id))
    page = client.get(f"/event-types/{et_id}/edit").get_data(as_text=True)
    assert 'value="09:00-12:00, 13:00-17:00"' in page and "2026-12-24 off" in page
    client.post(f"/event-types/{et_id}/edit", data={**FORM, "title": "Deep Dive", "duration_minutes": "60"})
    with app.app_context():
        et = db.session.get(EventType, et_id)
        assert (et.title, et.duration_minutes, et.slug) == ("Deep Dive", 60, "intro-call")


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "This field is required"),
    ("title", "t" * 101, "longer than 100"),
    ("slug", "Bad Slug!", "lowercase letters"),
    ("duration_minutes", "0", "from 5 to 720"),
    ("duration_minutes", "abc", "Not a valid integer"),
    ("monday", "9 to 5", "should look like 09:00-17:00"),
    ("tuesday", "10:00-09:00", "ends before it starts"),
    ("date_overrides", "tomorrow off", "start with a date"),
    ("seats", "0", "from 1 to 1000"),
    ("horizon_days", "9999", "from 1 to 730"),
    ("max_per_day", "-1", "from 1 to 1000"),
    ("location", "teleport", "Not a valid choice"),
    ("description", "d" * 5001, "longer than 5000"),
])
def test_validation_messages(client, app, signed_in, field, value, message):
    response = client.post("/event-types/new", data={**FORM, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(EventType)) is None


@pytest.mark.parametrize("location,detail,message", [
    ("in_person", "", "Enter the address"),
    ("custom_link", "javascript:alert(1)", "starting with https://"),
])
def test_locations_need_their_details(client, signed_in, location, detail, message):
    response = client.post("/event-types/new", data={**FORM, "location": location, "location_detail": detail})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_every_location_can_be_chosen(client, app, signed_in):
    details = {"in_person": "1 Main St", "custom_link": "https://meet.example.com/x", "phone": "+1 555 0100"}
    for index, kind in enumerate(["zoom", "google_meet", "in_person", "phone", "custom_link", "none"]):
        data = {**FORM, "title": f"Event {index}", "location": kind, "location_detail": details.get(kind, "")}
        assert client.post("/event-types/new", data=data).status_code == 302
    with app.app_context():
        assert sorted(db.session.scalars(select(EventType.location))) == sorted(
            ["zoom", "google_meet", "in_person", "phone", "custom_link", "none"])


def test_slugs_are_unique_per_host(client, app, signed_in):
    client.post("/event-types/new", data=FORM)
    second = client.post("/event-types/new", data=FORM)
    assert second.status_code == 302  # an automatic slug gets a number
    taken = client.post("/event-types/new", data={**FORM, "slug": "intro-call"})
    assert taken.status_code == 422 and "already have" in taken.get_data(as_text=True)
    with app.app_context():
        assert sorted(db.session.scalars(select(EventType.slug))) == ["intro-call", "intro-call-2"]


def test_deactivated_event_type_is_not_bookable(client, app, signed_in):
    with app.app_context():
        et = add_event_type(db.session.scalar(select(add_user.__globals__["User"])))
        et_id = et.id
    assert client.get("/ada/intro-call").status_code == 200
    client.post(f"/event-types/{et_id}/active", data={"active": "0"})
    assert client.get("/ada/intro-call").status_code == 404
    assert "Intro Call" not in client.get("/ada").get_data(as_text=True)
    client.post(f"/event-types/{et_id}/active", data={"active": "1"})
    assert client.get("/ada/intro-call").status_code == 200


def test_delete_is_refused_while_bookings_are_upcoming(client, app, signed_in):
    with app.app_context():
        from linktime.models import User

        host = db.session.scalar(select(User))
        et = add_event_type(host)
        start = datetime.now(UTC) + timedelta(days=2)
        db.session.add(Booking(host_id=host.id, event_type_id=et.id, title=et.title, location="none",
                               start=start, end=start + timedelta(minutes=30), invitee_name="Cy",
                               invitee_email="cy@example.com", invitee_timezone="UTC"))
        db.session.commit()
        et_id = et.id
    page = client.post(f"/event-types/{et_id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "1 upcoming booking" in page
    with app.app_context():
        assert db.session.get(EventType, et_id) is not None
        booking = db.session.scalar(select(Booking))
        booking.status = "cancelled"
        db.session.commit()
    client.post(f"/event-types/{et_id}/delete")
    with app.app_context():
        assert db.session.get(EventType, et_id) is None
        kept = db.session.scalar(select(Booking))
        assert kept.event_type_id is None and kept.title == "Intro Call"


def test_duplicate_copies_every_setting_under_a_new_link_turned_off(client, app, signed_in):
    client.post("/event-types/new", data={**FORM, "seats": "3", "repeat_weeks": "2", "repeat_max": "6",
                                          "reminders": "1 day"})
    first = client.post("/event-types/1/duplicate")
    assert first.status_code == 302 and first.location == "/event-types/2/edit"
    again = client.post("/event-types/1/duplicate", follow_redirects=True).get_data(as_text=True)
    assert "“Intro Call (copy)” is a copy with every setting." in again
    with app.app_context():
        original, copy, third = db.session.scalars(select(EventType).order_by(EventType.id)).all()
        assert (copy.title, copy.slug, copy.active) == ("Intro Call (copy)", "intro-call-copy", False)
        assert third.slug == "intro-call-copy-2"
        for column in EventType.__table__.columns:
            if column.key not in {"id", "slug", "title", "active", "created_at"}:
                assert getattr(copy, column.key) == getattr(original, column.key), column.key
    assert client.get("/ada/intro-call-copy").status_code == 404  # off until turned on
    assert client.post("/event-types/999/duplicate").status_code == 404


def test_a_series_is_said_on_the_card_and_the_booking_page_before_a_time_is_picked(client, app, signed_in):
    client.post("/event-types/new", data={**FORM, "repeat_weeks": "1", "repeat_max": "4"})
    assert "30 min · To be agreed with the host · Weekly, up to 4 sessions" in client.get("/event-types").get_data(
        as_text=True)
    page = client.get("/ada/intro-call").get_data(as_text=True)
    assert "Weekly, up to 4 sessions (you choose how many when you book)" in page
