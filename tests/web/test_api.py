"""REST API v1 as its users call it: every endpoint as the key's owner, as another host (404),
without a key and with a revoked one (401); an Idempotency-Key; the rate limit; a booking made
through the API racing one made on the page; the OpenAPI document run against the live app."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import func, select

from linktime.api.keys import make_key
from linktime.extensions import db
from linktime.models import ApiKey, Booking, User, now_utc
from tests.helpers import add_event_type, add_user, book_form, close_app, make_app, signed_in

WEDNESDAY_9 = "2026-11-25T14:00:00Z"  # 09:00 New York: Ada's hours
WEDNESDAY_10 = "2026-11-25T15:00:00Z"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def office(app, clock):
    """Ada and Bob, each with an Intro Call and a key; Ada has one booking."""
    with app.app_context():
        ada, bob = add_user("ada"), add_user("bob", admin=False)
        add_event_type(ada)
        add_event_type(bob)
        keys = {name: make_key(user, f"{name}'s script")[1] for name, user in (("ada", ada), ("bob", bob))}
        db.session.commit()
    client = app.test_client()
    made = client.post("/api/v1/bookings", headers=auth(keys["ada"]), json={
        "eventTypeSlug": "intro-call", "startTime": WEDNESDAY_9, "inviteeName": "Bea",
        "inviteeEmail": "bea@example.com", "inviteeTimezone": "Europe/Berlin"})
    assert made.status_code == 201, made.get_json()
    return client, keys, made.get_json()["bookingId"]


def endpoints(booking_id: int, event_type_id: int = 1) -> list[tuple[str, str, dict | None]]:
    return [("GET", "/api/v1/me", None), ("GET", "/api/v1/bookings", None),
            ("GET", f"/api/v1/bookings/{booking_id}", None), ("GET", "/api/v1/event-types", None),
            ("GET", f"/api/v1/event-types/{event_type_id}", None),
            ("GET", f"/api/v1/event-types/{event_type_id}/availability?from=2026-11-24&to=2026-11-28", None),
            ("POST", f"/api/v1/bookings/{booking_id}/reschedule", {"startTime": WEDNESDAY_10}),
            ("POST", f"/api/v1/bookings/{booking_id}/cancel", {"reason": "Clash"})]


def test_every_endpoint_answers_its_owner(office):
    client, keys, booking_id = office
    answers = {path: client.open(path, method=method, headers=auth(keys["ada"]), json=data)
               for method, path, data in endpoints(booking_id)}
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(answers, 200)
    assert answers["/api/v1/me"].get_json()["email"] == "ada@example.com"
    listed = answers["/api/v1/bookings"].get_json()
    assert [b["id"] for b in listed["data"]] == [booking_id] and listed["pagination"]["total"] == 1
    booking = answers[f"/api/v1/bookings/{booking_id}"].get_json()["data"]
    assert booking["invitee"]["email"] == "bea@example.com" and booking["startTime"] == WEDNESDAY_9
    free = answers["/api/v1/event-types/1/availability?from=2026-11-24&to=2026-11-28"].get_json()["data"]
    assert free and all(slot["startTime"] != WEDNESDAY_9 for slot in free)  # Bea's time is taken
    moved = answers[f"/api/v1/bookings/{booking_id}/reschedule"].get_json()["data"]
    assert moved["startTime"] == WEDNESDAY_10
    assert answers[f"/api/v1/bookings/{booking_id}/cancel"].get_json()["data"]["status"] == "CANCELLED"


def test_another_hosts_key_finds_nothing_of_ada(office):
    client, keys, booking_id = office
    for method, path, data in endpoints(booking_id):
        if path in ("/api/v1/me", "/api/v1/bookings", "/api/v1/event-types"):
            answer = client.open(path, method=method, headers=auth(keys["bob"]), json=data).get_json()
            assert "bea@example.com" not in str(answer) and "ada@example.com" not in str(answer)
            continue
        answer = client.open(path, method=method, headers=auth(keys["bob"]), json=data)
        assert answer.status_code == 404, path
        assert answer.get_json()["error"]["code"] == "not_found"
    with client.application.app_context():
        assert db.session.scalar(select(Booking)).status == "confirmed"  # untouched


def test_without_a_key_or_with_a_revoked_one_nothing_answers(office, app):
    client, keys, booking_id = office
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.name == "ada's script"))
        key.revoked_at = now_utc()
        db.session.commit()
    for headers in ({}, auth(keys["ada"]), auth("lt_live_made-up"), {"Authorization": "Basic YWRhOnB3"}):
        for method, path, data in endpoints(booking_id):
            answer = client.open(path, method=method, headers=headers, json=data)
            assert answer.status_code == 401, (headers, path)
            assert answer.get_json()["error"]["code"] == "unauthorized"
            assert "Access-Control-Allow-Origin" not in answer.headers


def test_keys_are_made_shown_once_and_revoked_on_the_settings_page(app, clock):
    with app.app_context():
        add_event_type(add_user("ada"))
    page = signed_in(app)
    made = page.post("/settings/api-keys", data={"name": "CRM"}).get_data(as_text=True)
    key = made.split('value="lt_live_', 1)[1].split('"')[0]
    assert app.test_client().get("/api/v1/me", headers=auth("lt_live_" + key)).status_code == 200
    listed = page.get("/settings/api-keys").get_data(as_text=True)
    assert key not in listed and "CRM" in listed
    with app.app_context():
        stored = db.session.scalar(select(ApiKey))
        assert key not in stored.digest and stored.last_used_at is not None
    assert page.post(f"/settings/api-keys/{stored.id}/revoke").status_code == 303
    assert app.test_client().get("/api/v1/me", headers=auth("lt_live_" + key)).status_code == 401


def test_an_idempotency_key_returns_the_first_booking(office, app):
    client, keys, _booking_id = office
    ask = {"eventTypeSlug": "intro-call", "startTime": WEDNESDAY_10, "inviteeName": "Cy",
           "inviteeEmail": "cy@example.com"}
    first = client.post("/api/v1/bookings", headers={**auth(keys["ada"]), "Idempotency-Key": "crm-1"}, json=ask)
    again = client.post("/api/v1/bookings", headers={**auth(keys["ada"]), "Idempotency-Key": "crm-1"}, json=ask)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["bookingId"] == again.get_json()["bookingId"]
    other = client.post("/api/v1/bookings", headers={**auth(keys["ada"]), "Idempotency-Key": "crm-2"}, json=ask)
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "slot_taken"
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 2


def test_requests_past_the_limit_are_told_when_to_come_back(tmp_path, clock):
    app = make_app(tmp_path, API_REQUESTS_PER_MINUTE=3)
    with app.app_context():
        key = make_key(add_user("ada"), "script")[1]
        db.session.commit()
    client = app.test_client()
    answers = [client.get("/api/v1/me", headers=auth(key)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    close_app(app)


def test_bad_input_is_a_clear_4xx(office):
    client, keys, _booking_id = office
    ada = auth(keys["ada"])
    cases = [({"eventTypeSlug": "intro-call"}, 422), ({"eventTypeSlug": "nope", "startTime": WEDNESDAY_10,
                                                       "inviteeName": "Cy", "inviteeEmail": "cy@example.com"}, 404),
             ({"eventTypeSlug": "intro-call", "startTime": "2026-11-25T15:00:00", "inviteeName": "Cy",
               "inviteeEmail": "cy@example.com"}, 422),
             ({"eventTypeSlug": "intro-call", "startTime": "2026-11-28T15:00:00Z", "inviteeName": "Cy",
               "inviteeEmail": "cy@example.com"}, 422)]  # a Saturday: not offered
    for data, status in cases:
        answer = client.post("/api/v1/bookings", headers=ada, json=data)
        assert answer.status_code == status, (data, answer.get_json())
        assert set(answer.get_json()["error"]) == {"code", "message"}
    assert client.post("/api/v1/bookings", headers=ada, data="not json").status_code == 400
    assert client.get("/api/v1/bookings?status=maybe", headers=ada).status_code == 422
    assert client.get("/api/v1/event-types/1/availability?from=2026-01-01&to=2026-03-01",
                      headers=ada).status_code == 422
    assert client.get("/api/v1/bookings/99999999999", headers=ada).status_code == 404


def test_a_booking_through_the_api_and_one_on_the_page_for_one_time_make_one(office, app):
    """The same time asked at the same instant by the page and by the API: one booking, and the
    other side is told the time is gone."""
    _client, keys, _booking_id = office
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def through_api():
        barrier.wait()
        answers["api"] = app.test_client().post("/api/v1/bookings", headers=auth(keys["ada"]), json={
            "eventTypeSlug": "intro-call", "startTime": WEDNESDAY_10, "inviteeName": "Cy",
            "inviteeEmail": "cy@example.com"}).status_code

    def on_the_page():
        barrier.wait()
        answers["page"] = book_form(app.test_client(), "/ada/intro-call/book", "2026-11-25T15:00:00+00:00",
                                    name="Dee", email="dee@example.com", tz="UTC").status_code

    threads = [threading.Thread(target=through_api), threading.Thread(target=on_the_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers.values()) in ([201, 409], [303, 409]), answers
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id)).where(
            Booking.start == datetime(2026, 11, 25, 15, tzinfo=UTC))) == 1


def test_the_calendar_feed_lists_a_hosts_bookings_until_it_is_turned_off(office, app):
    page = signed_in(app)
    made = page.post("/settings/api-keys/feed").get_data(as_text=True)
    address = made.split("/feeds/", 1)[1].split('"')[0]
    feed = app.test_client().get(f"/feeds/{address}")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "Intro Call" in feed.get_data(as_text=True) and "20261125T140000Z" in feed.get_data(as_text=True)
    assert app.test_client().get("/feeds/made-up.ics").status_code == 404
    page.post("/settings/api-keys/feed/revoke")
    assert app.test_client().get(f"/feeds/{address}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User.feed_digest).where(User.username == "ada")) == ""


# ---------------------------------------------------------------------------- the document, run

def test_the_api_answers_as_its_openapi_document_says(app, clock):
    """Requests generated from the document to every operation, as Ada: never a 5xx, never an
    answer the document does not describe (status, headers, body); invalid data refused; no
    operation answering without its key."""
    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada)
        key = make_key(ada, "schemathesis")[1]
        db.session.commit()
    app.config["API_REQUESTS_PER_MINUTE"] = 100000
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9

    for operation in operations:
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            # (A request the document allows may still be refused for the booking's own reasons — a
            # time not offered is a documented 422 — so "valid data is accepted" is not asked.)
            case.call_and_validate(headers=auth(key), excluded_checks=[positive_data_acceptance])

        answers_as_documented()


def test_the_document_names_every_route_of_the_api(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    routes = {rule.rule.replace("/api/v1", "").replace("<id:", "{").replace(">", "}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert routes - {"/openapi.json", "/docs"} == set(document["paths"])
    assert document["openapi"] == "3.1.0"

