"""With CSRF protection on (as in production), every form POST without a token is refused."""
from __future__ import annotations

import pytest

from tests.helpers import add_event_type, add_user, make_app

POSTS = [
    "/signup",
    "/login",
    "/logout",
    "/settings/profile",
    "/settings/appearance",
    "/settings/password",
    "/settings/sessions/end",
    "/team/invites",
    "/team/invites/1/revoke",
    "/event-types/new",
    "/event-types/1/edit",
    "/event-types/1/active",
    "/event-types/1/delete",
    "/event-types/1/duplicate",
    "/settings/availability",
    "/settings/availability/1",
    "/settings/availability/1/overrides",
    "/settings/availability/1/overrides/remove",
    "/settings/availability/1/delete",
    "/ada/intro-call/book",
    "/teams/new",
    "/teams/1/edit",
    "/teams/1/event-types/new",
    "/teams/1/event-types/1/edit",
    "/team/sales/talk/book",
    "/bookings/1/cancel",
    "/bookings/1/meeting/retry",
    "/bookings/1/reschedule",
    "/bookings/1/reassign",
    "/settings/out-of-office",
    "/settings/out-of-office/1/delete",
    "/meetings/new",
    "/integrations/zoom/connect",
    "/integrations/zoom/cancel",
    "/integrations/zoom/disconnect",
    "/integrations/caldav/connect",
    "/integrations/calendars/choose",
    "/integrations/calendars/1/disconnect",
    "/integrations/<any(google, microsoft):name>/connect",
    "/integrations/<any(google, microsoft):name>/cancel",
    "/admin/jobs/1/retry",
    "/settings/webhooks",
    "/settings/webhooks/1",
    "/settings/webhooks/1/test",
    "/settings/webhooks/1/deliveries/1/again",
    "/settings/webhooks/1/rotate",
    "/settings/webhooks/1/delete",
    "/settings/api-keys",
    "/settings/api-keys/1/revoke",
    "/settings/api-keys/feed",
    "/settings/api-keys/feed/revoke",
]


@pytest.fixture
def csrf_client(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    from linktime.extensions import db

    with app.app_context():
        add_event_type(add_user("ada"))
        db.session.remove()
    return app.test_client()


def test_every_form_post_route_is_listed(app):
    posts = {r.rule for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert {"/signup", "/login", "/event-types/new", "/<username>/<slug>/book",
            "/team/<team_slug>/<slug>/book"} <= posts
    # + the invitee's cancel and reschedule (token URLs), Zoom's and Twilio's webhooks (signed), and
    # the REST API's three (an API key in a header: nothing a browser sends by itself)
    assert len(posts) == len(POSTS) + 4 + 3


@pytest.mark.parametrize(
    "path",
    [p.replace("<any(google, microsoft):name>", "google") for p in POSTS]
    + ["/integrations/microsoft/connect", "/booking/sometoken/cancel", "/booking/sometoken/reschedule"],
)
def test_post_without_token_is_refused_with_a_clear_page(csrf_client, path):
    response = csrf_client.post(path, data={"name": "x"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_htmx_requests_carry_the_token_in_a_header(csrf_client):
    import re

    login = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login)[1]
    csrf_client.post("/login", data={"email": "ada@example.com", "password": "correct horse", "csrf_token": token})
    page = csrf_client.get("/settings/integrations").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_a_public_booking_page_sets_no_cookie(csrf_client):
    """It has no form to protect, so every visitor gets the same bytes (and a cache can serve them).

    Only a zone or clock the visitor chose is kept, in a cookie of its own, and only when it changes.
    """
    response = csrf_client.get("/ada/intro-call")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "X-CSRFToken" not in response.get_data(as_text=True)
    chosen = csrf_client.get("/ada/intro-call?tz=UTC&clock=12")
    assert sorted(cookie.split("=")[0] for cookie in chosen.headers.getlist("Set-Cookie")) == ["lt_clock", "lt_zone"]
    assert "X-CSRFToken" not in chosen.get_data(as_text=True)
    again = csrf_client.get("/ada/intro-call?tz=UTC")
    assert "Set-Cookie" not in again.headers and "Cookie" in again.headers["Vary"]
