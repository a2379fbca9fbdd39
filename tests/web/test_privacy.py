"""Data & privacy, and who to ask: written from what LinkTime really asks for and keeps."""
from __future__ import annotations

import pytest

from linktime.calendars.google import SCOPES as GOOGLE_SCOPES
from linktime.calendars.microsoft import SCOPES as MICROSOFT_SCOPES
from linktime.conferencing.zoom.client import SCOPE_LIST
from tests.helpers import add_event_type, add_user, make_app


def test_the_page_lists_every_permission_requested_and_the_docs_promises(client):
    page = client.get("/privacy").get_data(as_text=True).replace("&#39;", "'")
    for scope in (*SCOPE_LIST, *GOOGLE_SCOPES, *MICROSOFT_SCOPES):
        assert str(scope.purpose) in page
    for never in ("Meeting recordings", "Participant information", "Meeting chat or content", "Your Zoom contacts",
                  "Your Zoom settings"):
        assert never in page
    assert "Your Zoom email address" in page and "AES-256-GCM" in page
    assert "ask the person who runs this LinkTime" in page  # no SUPPORT_EMAIL set
    assert "phone number" not in page  # no Twilio: nothing of the kind is kept


def test_every_page_links_to_it_and_integrations_too(client, app, auth):
    with app.app_context():
        add_event_type(add_user("ada"))
    assert 'href="/privacy"' in client.get("/ada/intro-call").get_data(as_text=True)
    auth.login()
    assert 'href="/privacy">Data & privacy' in client.get("/settings/integrations").get_data(as_text=True)


@pytest.fixture
def supported(tmp_path):
    app = make_app(tmp_path, SUPPORT_EMAIL="help@example.org", TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="x",
                   TWILIO_FROM_NUMBER="+15550000000")
    with app.app_context():
        add_event_type(add_user("ada"))
    return app


def test_the_support_contact_shows_where_help_is_needed(supported):
    client = supported.test_client()
    link = '<a href="mailto:help@example.org">help@example.org</a>'
    assert link in client.get("/privacy").get_data(as_text=True)
    assert "phone number, only when they ask for a text reminder" in client.get("/privacy").get_data(as_text=True)
    assert link in client.get("/ada").get_data(as_text=True)  # the footer
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    callback = client.get("/integrations/zoom/callback?code=x&state=forged").get_data(as_text=True)
    assert "Application not found" in callback and link in callback
    assert "Connected, but it still says Not connected?" in client.get("/settings/integrations").get_data(as_text=True)
