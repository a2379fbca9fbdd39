"""Sign-up (first account is admin, then by invite), sign-in, profile, team."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.models import Invite, User
from tests.helpers import add_user, close_app, latest_link

SIGNUP = dict(name="Ada Lovelace", email="Ada@Example.com", username="ada", timezone="Europe/London",
              password="correct horse", confirm="correct horse")


def test_first_account_becomes_admin_and_lands_on_new_event_type(client, app):
    assert client.get("/").location == "/signup"
    response = client.post("/signup", data=SIGNUP)
    assert response.location == "/event-types/new"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.is_admin, user.timezone) == ("ada@example.com", True, "Europe/London")
        assert user.password_hash != "correct horse"


def test_after_the_first_account_signup_needs_an_invite(client, app):
    client.post("/signup", data=SIGNUP)
    client.post("/logout")
    response = client.get("/signup")
    assert response.status_code == 403
    assert "by invitation" in response.get_data(as_text=True)
    assert client.post("/signup", data={**SIGNUP, "email": "b@example.com", "username": "b"}).status_code == 403


def test_invite_link_signs_up_a_member_once(client, app):
    client.post("/signup", data=SIGNUP)
    client.post("/team/invites", data={"email": "Grace@example.com"})
    page = client.get("/team").get_data(as_text=True)
    link = re.search(r'value="(http://127.0.0.1:5000/signup\?invite=[^"]+)"', page)[1]
    path = link.removeprefix("http://127.0.0.1:5000")
    client.post("/logout")
    assert "invited you" in client.get(path).get_data(as_text=True)
    # The address is the invited one, whatever the form says.
    data = {**SIGNUP, "email": "someone-else@example.com", "username": "grace"}
    assert client.post(path, data=data).location == "/event-types/new"
    client.post("/logout")
    reused = client.get(path)
    assert reused.status_code == 404 and "not valid" in reused.get_data(as_text=True)
    with app.app_context():
        grace = db.session.scalar(select(User).where(User.username == "grace"))
        assert grace is not None and not grace.is_admin and grace.email == "grace@example.com"
        assert db.session.scalar(select(Invite)).used_by_id == grace.id


def test_allow_signup_opens_registration(tmp_path):
    from tests.helpers import make_app

    app = make_app(tmp_path, ALLOW_SIGNUP=True)
    client = app.test_client()
    client.post("/signup", data=SIGNUP)
    client.post("/logout")
    asked = client.post("/signup", data={"email": "X@example.com"})
    assert "We sent a message to <strong>x@example.com</strong>" in asked.get_data(as_text=True)
    link = latest_link(app, "/signup?address=")
    response = client.post(link, data={**SIGNUP, "email": "ignored@example.com", "username": "x"})
    assert response.location == "/event-types/new"
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.username == "x")) == "x@example.com"
    client.post("/logout")
    # The link made its account; a second use cannot make another.
    again = client.post(link, data={**SIGNUP, "username": "x2"})
    assert again.status_code == 422 and "cannot be used" in again.get_data(as_text=True)
    close_app(app)


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-email", "Invalid email"),
    ("username", "Has Spaces", "lowercase letters"),
    ("username", "login", "reserved"),
    ("username", "x" * 41, "1–40"),
    ("name", "", "This field is required"),
    ("name", "n" * 101, "longer than 100"),
    ("password", "short", "at least 10"),
    ("password", "aaaaaaaaaaaa", "easy to guess"),
    ("password", "password1234", "common password"),
    ("password", "ada lovelace1", "not about you"),
    ("confirm", "different", "passwords differ"),
    ("timezone", "Mars/Olympus", "Choose a time zone from the list."),
])
def test_signup_validation_messages(client, app, field, value, message):
    response = client.post("/signup", data={**SIGNUP, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_duplicate_email_or_username_is_refused(client, app):
    with app.app_context():
        add_user("ada")
    response = client.post("/signup", data={**SIGNUP, "username": "other"})
    assert response.status_code == 403  # sign-up is closed now; an admin must invite
    with app.app_context():
        admin = db.session.scalar(select(User))
        invite = Invite(created_by_id=admin.id)  # an invite from before invites named an address
        db.session.add(invite)
        db.session.commit()
        token = invite.token
    response = client.post(f"/signup?invite={token}", data={**SIGNUP, "email": "ada@example.com", "username": "new"})
    assert "cannot be used here" in response.get_data(as_text=True)
    response = client.post(f"/signup?invite={token}", data={**SIGNUP, "email": "new@example.com", "username": "ada"})
    assert "taken" in response.get_data(as_text=True)


def test_sign_in_and_out(client, app, auth):
    with app.app_context():
        add_user("ada")
    bad = client.post("/login", data={"email": "ada@example.com", "password": "wrong password"})
    assert bad.status_code == 422 and "do not match" in bad.get_data(as_text=True)
    assert auth.login().location == "/bookings"
    assert client.get("/bookings").status_code == 200
    auth.logout()
    assert client.get("/bookings").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, app):
    with app.app_context():
        add_user("ada")
    response = client.post("/login", data={"email": "ada@example.com", "password": "correct horse", "remember": "y"})
    assert any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("next_url,expected", [("/event-types", "/event-types"),
                                              ("https://evil.example/", "/bookings"),
                                              ("//evil.example/", "/bookings")])
def test_login_only_redirects_within_the_site(client, app, next_url, expected):
    with app.app_context():
        add_user("ada")
    response = client.post(f"/login?next={next_url}", data={"email": "ada@example.com", "password": "correct horse"})
    assert response.location == expected


def test_profile_changes_username_and_time_zone(client, app, auth):
    with app.app_context():
        add_user("ada")
        add_user("bob", admin=False)
    auth.login()
    data = dict(name="Ada L", email="ada@example.com", username="ada-l", timezone="Asia/Tokyo")
    assert client.post("/settings/profile", data=data).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ada-l"))
        assert user.timezone == "Asia/Tokyo"
    taken = client.post("/settings/profile", data={**data, "username": "bob"})
    assert taken.status_code == 422 and "taken" in taken.get_data(as_text=True)
    # A browser's older name for a zone is kept as the list names it.
    assert client.post("/settings/profile", data={**data, "timezone": "Asia/Calcutta"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.timezone).where(User.username == "ada-l")) == "Asia/Kolkata"


@pytest.mark.parametrize("url", ["/signup", "/settings/profile"])
def test_sign_up_and_profile_offer_the_booking_page_zone_picker(client, app, auth, url):
    if url != "/signup":
        with app.app_context():
            add_user("ada", timezone="Europe/Kiev")
        auth.login()
    page = client.get(url).get_data(as_text=True)
    picker = re.search(r'<select [^>]*name="timezone"[^>]*>', page)[0]
    assert "data-tz-select" in picker and 'data-zone-search="/zones"' in picker
    assert "ComodRivadavia" not in page and "Europe/Kiev" not in page
    assert re.search(r'<option value="Europe/Berlin"( selected)?>Berlin \(UTC\+[12]\)</option>', page)
    if url != "/signup":
        assert '<option value="Europe/Kyiv" selected>' in page


def test_the_zone_search_answers_anyone_with_suggestions(client):
    answer = client.get("/zones?q=India")
    assert answer.status_code == 200 and "public" in answer.headers["Cache-Control"]
    first = re.search(r'<li role="option"[^>]*data-zone="([^"]+)"[^>]*>(.*?)</li>', answer.get_data(as_text=True), re.S)
    assert first[1] == "Asia/Kolkata" and first[2].startswith("Kolkata <small")
    assert "No time zone found" in client.get("/zones?q=xyzzy").get_data(as_text=True)
    assert client.get("/zones?q=" + "%00" * 5000).status_code in (200, 400)


def test_no_username_can_shadow_a_page_of_the_app(app):
    from linktime.accounts.forms import RESERVED_USERNAMES
    first_parts = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    assert {part for part in first_parts if part and not part.startswith("<")} <= RESERVED_USERNAMES


def test_change_password_checks_the_current_one(client, app, auth):
    with app.app_context():
        add_user("ada")
    auth.login()
    wrong = client.post(
        "/settings/password",
        data={"current": "nope", "password": "violet canyon drum", "confirm": "violet canyon drum"},
    )
    assert "not your current password" in wrong.get_data(as_text=True)
    client.post(
        "/settings/password",
        data={"current": "correct horse", "password": "violet canyon drum", "confirm": "violet canyon drum"},
    )
    auth.logout()
    assert auth.login(password="violet canyon drum").location == "/bookings"


def test_team_page_lists_members_for_admins_only(client, app, auth):
    with app.app_context():
        add_user("ada")
        add_user("bob", admin=False)
    auth.login()
    page = client.get("/team").get_data(as_text=True)
    assert "bob@example.com" in page and "Member" in page
    auth.logout()
    auth.login("bob@example.com")
    assert client.get("/team").status_code == 404
    assert "Team</a>" not in client.get("/settings/profile").get_data(as_text=True)


def test_integrations_page_lists_categories(client, app, auth):
    with app.app_context():
        add_user("ada")
    auth.login()
    page = client.get("/settings/integrations").get_data(as_text=True)
    for text in (
        "Video Conferencing",
        "Zoom",
        "Google Meet",
        "Calendars",
        "Google Calendar",
        "Outlook Calendar",
        "CalDAV",
    ):
        assert text in page


def test_settings_open_on_the_profile(client, app, auth):
    with app.app_context():
        add_user("ada")
    assert client.get("/settings").location.startswith("/login")
    auth.login()
    answer = client.get("/settings")
    assert answer.status_code == 302 and answer.location == "/settings/profile"
