"""Framing: only the booking pages asked for with ?embed=1 may be shown inside other sites."""
from __future__ import annotations

import pytest

from tests.helpers import add_event_type, add_user, make_app

START = "2026-11-24T14:00:00+00:00"


@pytest.fixture
def csrf_app(tmp_path, clock):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        add_event_type(add_user("ada"))
    return app


def framing(response) -> tuple[str | None, str]:
    policy = response.headers["Content-Security-Policy"]
    return response.headers.get("X-Frame-Options"), policy.split("frame-ancestors ")[1].split(";")[0]


@pytest.mark.parametrize("path,allowed", [
    ("/ada/intro-call?embed=1", True), ("/ada/intro-call", False),
    (f"/ada/intro-call/book?start={START.replace('+', '%2B')}&embed=1", True),
    ("/ada?embed=1", False), ("/login?embed=1", False), ("/privacy?embed=1", False),
])
def test_only_the_embeddable_pages_in_embed_mode_may_be_framed(csrf_app, path, allowed):
    response = csrf_app.test_client().get(path)
    assert framing(response) == ((None, "*") if allowed else ("DENY", "'none'"))
    assert ('class="embedded"' in response.get_data(as_text=True)) == allowed


def test_an_embedded_booking_needs_no_cookie_and_lands_on_a_framable_confirmation(csrf_app):
    client = csrf_app.test_client(use_cookies=False)  # as in another site's frame
    plain = client.post("/ada/intro-call/book", data={"start": START, "name": "Bea", "email": "bea@example.com",
                                                       "tz": "UTC"})
    assert plain.status_code == 400 and "Form expired" in plain.get_data(as_text=True)
    framed = client.post("/ada/intro-call/book?embed=1", data={"start": START, "name": "Bea",
                                                                "email": "bea@example.com", "tz": "UTC"})
    assert framed.status_code == 303 and "embed=1" in framed.location
    confirmation = client.get(framed.location)
    assert "You are scheduled" in confirmation.get_data(as_text=True) and framing(confirmation) == (None, "*")
    assert framing(client.get(framed.location.replace("&embed=1", ""))) == ("DENY", "'none'")
