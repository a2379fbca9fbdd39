"""Every route, fed what a stranger might send: no answer is a 5xx, and the server keeps serving."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import Booking, Invite, Job
from tests.helpers import add_event_type, add_user, close_app, make_app

# Strings that break naive code: huge, unicode, NUL and control bytes, markup, traversal, SQL.
STRINGS = ["x" * 20000, "😀" * 300, "a\x00b", "\x01\x7f\u202e", "<script>alert(1)</script>", "../../etc/passwd",
           "' OR 1=1 --", "%00%ff%fe", " ", "", "#112233\n", "пароль-123", "a\r\nX-Injected: 1",
           # calendar server addresses: a password inside, a broken bracket, a metadata service, a port too big
           "http://ada:secret@127.0.0.1:9/", "https://[::1", "http://169.254.169.254/", "https://cal.example.com:99999/"]
NUMBERS = ["-1", "0", "99999999999999999999999999", "1e309", "NaN", "0x10", "٣"]
DATES = ["9999-12-31", "0001-01-01", "2026-02-30", "2026-13", "2026-11-24T25:61:00+00:00", "2026-11-24T14:00:00+99:00",
         "10000-01-01T00:00:00+00:00", "-2026-01-01"]
ZONES = ["Mars/Olympus", "../../../etc/localtime", "UTC\x00", "America/New_York" * 50, "Etc/GMT+14"]
QUERY_KEYS = ["start", "tz", "month", "date", "reschedule", "invite", "address", "token", "next", "tab", "code",
              "state", "booked", "error", "workspace"]
FORM_KEYS = ["name", "email", "username", "timezone", "password", "confirm", "current", "remember", "notes", "phone",
             "channel", "start", "tz", "key", "reason", "title", "slug", "description", "duration_minutes",
             "location", "location_detail", "monday", "sunday", "date_overrides", "min_notice_minutes",
             "buffer_before_minutes", "buffer_after_minutes", "max_per_day", "horizon_days", "increment_minutes",
             "seats", "reminders", "sms_countries", "active", "workspace", "decision", "From", "Body",
             "url", "brand_color", "rest", "sessions", "all_or_nothing"]
DEEP = b"[" * 5000 + b"]" * 5000  # deeper than Python's parser recurses
BODIES = [
    DEEP,
    b"{",
    b"[]",
    b"null",
    b'{"event": null}',
    b'{"event": "endpoint.url_validation", "payload": {"plainToken": 1}}',
    json.dumps({"a": [[[[[[[[[[1]]]]]]]]]] * 1000}).encode(),
    b"\xff\xfe\x00garbage",
    b'{"payload": "' + b"x" * 100000 + b'"}',
]


def values(index: int) -> list[str]:
    everything = STRINGS + NUMBERS + DATES + ZONES
    return [everything[(index + step) % len(everything)] for step in range(0, len(everything), 3)]


@pytest.fixture
def app(tmp_path):
    """Everything configured (Twilio too), so that every route runs its real code."""
    app = make_app(tmp_path, TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="tw", TWILIO_FROM_NUMBER="+15005550006",
                   TWILIO_API_URL="http://127.0.0.1:9")
    yield app
    close_app(app)


@pytest.fixture
def world(app, clock):
    with app.app_context():
        ada = add_user("ada")
        add_user("bob", admin=False)
        event_type = add_event_type(ada, location="zoom", sms_reminders=True, sms_countries="US")
        start = datetime(2026, 11, 25, 15, tzinfo=UTC)
        booking = Booking(host_id=ada.id, event_type_id=event_type.id, title="Intro Call", location="zoom",
                          start=start, end=start + timedelta(minutes=30), invitee_name="Cy",
                          invitee_email="cy@example.com", invitee_timezone="UTC")
        db.session.add_all([booking, Job(kind="email.booking", payload={}, status="failed"),
                            Invite(created_by_id=ada.id, email="new@example.com")])
        db.session.commit()
        return {"token": booking.manage_token, "booking": booking.id}


def concrete_paths(rule, world) -> list[str]:
    """The rule's URL with its arguments filled: real ones, and hostile ones."""
    real = {"booking_id": world["booking"], "event_type_id": 1, "job_id": 1, "invite_id": 1,
            "username": "ada", "slug": "intro-call", "token": world["token"], "name": "x.eml"}
    hostile_words = ["x" * 3000, "😀", "..", "a%00b", "%ff", "ADA", "1' OR '1'='1"]
    paths = [re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(real.get(m[1], 1)), rule.rule)]
    for word in hostile_words:
        paths.append(re.sub(r"<(?:\w+:)?(\w+)>",
                            lambda m, word=word: "2147483648" if rule.arguments and m[0].startswith("<id:") else word,
                            rule.rule))
    return paths


def fuzz(client, app, world) -> list[tuple[str, str, int]]:
    failures = []
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for index, rule in enumerate(rules):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for n, path in enumerate(concrete_paths(rule, world)):
                hostile = values(index + n)
                query = {key: hostile[(k + n) % len(hostile)] for k, key in enumerate(QUERY_KEYS)}
                kwargs = {"query_string": query}
                if method == "POST":
                    if rule.endpoint.endswith("webhook"):
                        kwargs = {"data": BODIES[n % len(BODIES)], "content_type": "application/json",
                                  "headers": {"x-zm-request-timestamp": "".join(hostile[0][:50].splitlines()) or "1",
                                              "x-zm-signature": "v0=" + "0" * 64}}
                    elif n % 3 == 2:  # a form's route sent JSON (forms read JSON bodies too)
                        kwargs.update(data=DEEP if n == 2 else BODIES[(index + n) % len(BODIES)],
                                      content_type="application/json")
                    else:
                        kwargs["data"] = {key: hostile[(k * 7 + n) % len(hostile)] for k, key in enumerate(FORM_KEYS)}
                for htmx in (False, True):
                    headers = dict(kwargs.get("headers", {}), **({"HX-Request": "true"} if htmx else {}))
                    response = client.open(path, method=method, **{**kwargs, "headers": headers})
                    if response.status_code >= 500:
                        failures.append((method, path[:80], response.status_code))
    return failures


def test_no_route_answers_a_stranger_with_a_server_error(app, world):
    client = app.test_client()
    assert fuzz(client, app, world) == []
    assert client.get("/login").status_code == 200


def test_no_route_answers_a_signed_in_host_with_a_server_error(app, world):
    client = app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    assert fuzz(client, app, world) == []
    # Still serving, and nothing of Ada's was lost on the way.
    with app.app_context():
        assert db.session.scalar(select(Booking.invitee_name)) == "Cy"
    assert app.test_client().get("/ada/intro-call?tz=UTC").status_code == 200


def test_nul_bytes_are_refused_with_a_clear_answer(app, world):
    client = app.test_client()
    response = client.post("/login", data={"email": "ada@example.com\x00", "password": "x"})
    assert response.status_code == 400 and "not allowed" in response.get_data(as_text=True)
    assert client.get("/ada/intro-call?tz=UTC%00").status_code == 400


def test_a_json_body_nested_too_deep_is_a_bad_request_on_every_form(app, world):
    """Forms read JSON bodies too; one nested deeper than Python recurses is refused in words."""
    client = app.test_client()
    for path in ("/login", "/signup", f"/booking/{world['token']}/cancel",
                 "/ada/intro-call/book?start=2026-11-25T16:00:00%2B00:00&embed=1"):
        answer = client.post(path, data=DEEP, content_type="application/json")
        if path == "/signup":  # closed here (invites only): refused before any form is read
            assert answer.status_code == 403
            continue
        assert answer.status_code == 400, (path, answer.status_code)
        assert "nested too deeply" in answer.get_data(as_text=True)
