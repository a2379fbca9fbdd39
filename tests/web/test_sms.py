"""SMS / WhatsApp reminders through Twilio's REST API (recorded with responses)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, SmsOptOut
from tests.helpers import add_event_type, add_user, close_app, connect_zoom, make_app

TWILIO = "https://twilio.test/2010-04-01/Accounts/AC123/Messages.json"
START = "2026-11-25T14:00:00+00:00"


@pytest.fixture
def sms_app(tmp_path, sandbox):
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, TWILIO_ACCOUNT_SID="AC123", TWILIO_AUTH_TOKEN="tw-token",
                   TWILIO_FROM_NUMBER="+15005550006", TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
                   TWILIO_API_URL="https://twilio.test")
    yield app
    close_app(app)


@pytest.fixture
def client(sms_app, clock):
    client = sms_app.test_client()
    with sms_app.app_context():
        add_event_type(add_user("ada"), location="zoom", sms_reminders=True, sms_countries="GB", reminder_offsets=[60])
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    return client


def book(client, **fields):
    data = dict(name="Bea", email="bea@example.com", start=START, tz="Europe/Berlin", key="k", **fields)
    return client.post("/ada/intro-call/book", data=data)


def test_the_booking_form_offers_a_phone_number_only_when_switched_on(client, sms_app):
    page = client.get(f"/ada/intro-call/book?start={START.replace('+', '%2B')}").get_data(as_text=True)
    assert "Mobile number for a text reminder" in page and "WhatsApp" in page
    with sms_app.app_context():
        from linktime.models import EventType

        db.session.scalar(select(EventType)).sms_reminders = False
        db.session.commit()
    page = client.get(f"/ada/intro-call/book?start={START.replace('+', '%2B')}").get_data(as_text=True)
    assert "Mobile number" not in page


@pytest.mark.parametrize("phone", ["555-0100", "+0 123", "call me", "+1234", "+" + "9" * 40])
def test_phone_numbers_must_be_e164(client, phone):
    response = book(client, phone=phone, channel="sms")
    assert response.status_code == 422 and "country code" in response.get_data(as_text=True)


@pytest.mark.parametrize("phone,message", [
    ("+44 909 879 0000", "not a mobile number"),  # premium rate
    ("+44 20 7946 0018", "not a mobile number"),  # a London landline
    ("+49 1512 3456789", "only to mobile numbers in GB"),  # a mobile, in a country the host did not allow
])
def test_texts_go_only_to_mobiles_in_the_hosts_countries(client, sms_app, phone, message):
    response = book(client, phone=phone, channel="sms")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with sms_app.app_context():
        assert db.session.scalar(select(Booking.id)) is None


def test_the_host_chooses_the_countries_on_the_event_type(client, sms_app):
    page = client.get("/event-types/new").get_data(as_text=True)
    assert 'name="sms_countries" type="text" value="US"' in page  # Ada's zone is New York
    from tests.web.test_event_types import FORM

    bad = client.post("/event-types/1/edit", data={**FORM, "sms_reminders": "y", "sms_countries": "GB, XX"})
    assert bad.status_code == 422 and "Unknown country code: XX" in bad.get_data(as_text=True)
    client.post("/event-types/1/edit", data={**FORM, "sms_reminders": "y", "sms_countries": "de gb"})
    with sms_app.app_context():
        from linktime.models import EventType

        assert db.session.scalar(select(EventType.sms_countries)) == "DE, GB"


@responses.activate
def test_the_reminder_text_carries_the_time_and_the_zoom_link(client, sms_app, sandbox, clock):
    responses.add_passthru(sandbox.url)
    responses.post(TWILIO, status=201, json={"sid": "SM1", "status": "queued"})
    assert book(client, phone="+44 7400 123456", channel="whatsapp").status_code == 303
    with sms_app.app_context():
        assert db.session.scalar(select(Booking.invitee_phone)) == "+447400123456"
    clock.move_to(datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC))
    with sms_app.app_context():
        dispatch()
    [call] = [c for c in responses.calls if c.request.url == TWILIO]
    body = parse_qs(call.request.body)
    assert body["To"] == ["whatsapp:+447400123456"] and body["From"] == ["whatsapp:+14155238886"]
    join = next(iter(sandbox.state.meetings.values()))["join_url"]
    text = body["Body"][0]
    assert join in text and "Wednesday, 25 November 2026, 15:00 (Berlin time)" in text and "STOP" in text
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:tw-token").decode()


def sign(url: str, params: dict) -> str:
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(b"tw-token", payload.encode(), hashlib.sha1).digest()).decode()


@responses.activate
def test_a_stop_reply_ends_text_messages(client, sms_app, sandbox, clock):
    responses.add_passthru(sandbox.url)
    responses.post(TWILIO, status=201, json={"sid": "SM1"})
    book(client, phone="+447400123456", channel="sms")
    params = {"From": "+447400123456", "Body": " stop ", "To": "+15005550006"}
    url = "http://127.0.0.1:5000/integrations/twilio/sms"
    forged = client.post("/integrations/twilio/sms", data=params, headers={"X-Twilio-Signature": "bad"})
    assert forged.status_code == 401
    answer = client.post("/integrations/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(url, params)})
    assert answer.status_code == 200
    clock.move_to(datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC))
    with sms_app.app_context():
        dispatch()
        assert db.session.scalar(select(SmsOptOut.phone)) == "+447400123456"
    assert [c for c in responses.calls if c.request.url == TWILIO] == []


@responses.activate
def test_twilio_refusing_an_unsubscribed_number_records_the_opt_out(client, sms_app, sandbox, clock):
    responses.add_passthru(sandbox.url)
    responses.post(TWILIO, status=400, json={"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
    book(client, phone="+447400123456", channel="sms")
    clock.move_to(datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC))
    with sms_app.app_context():
        [outcome] = [o for o in dispatch() if o.kind == "sms.reminder"]
        assert outcome.status == "failed" and "STOP" in outcome.error
        assert db.session.scalar(select(SmsOptOut.phone)) == "+447400123456"


def test_without_twilio_no_phone_field_is_offered(tmp_path, clock):
    app = make_app(tmp_path)
    with app.app_context():
        add_event_type(add_user("ada"), sms_reminders=True)
    page = app.test_client().get(f"/ada/intro-call/book?start={START.replace('+', '%2B')}").get_data(as_text=True)
    assert "Mobile number" not in page
    close_app(app)
