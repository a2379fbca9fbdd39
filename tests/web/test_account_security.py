"""Accounts as an attacker sees them: copied cookies, password guessing, enumeration, invites, renames."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from linktime.extensions import db
from linktime.models import Invite, User
from tests.helpers import MONDAY_MORNING, add_event_type, add_user, latest_link, outbox_messages

PASSWORD = "correct horse"


@pytest.fixture
def ada(app):
    with app.app_context():
        add_event_type(add_user("ada"))


def signed_in(app, *, remember=False):
    client = app.test_client()
    data = {"email": "ada@example.com", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).location == "/bookings"
    return client


def copy_of(app, client, *names: str):
    """Another browser holding copies of ``client``'s cookies (all, or only ``names``)."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        if not names or cookie.key in names:
            thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def strip_tokens(page: str) -> str:
    """A page without its per-request CSRF tokens and form keys."""
    return re.sub(r"[\w.-]{40,}", "", page)


def can_see_dashboard(client) -> bool:
    response = client.get("/bookings")
    return response.status_code == 200


# ---------------------------------------------------------------- sessions


def test_a_copied_session_cookie_stops_working_at_sign_out(app, ada):
    owner = signed_in(app)
    thief = copy_of(app, owner, "session")
    assert can_see_dashboard(thief)
    owner.post("/logout")
    assert not can_see_dashboard(thief) and not can_see_dashboard(owner)
    # Ada's other devices are not signed out by signing out here.
    other_device = signed_in(app)
    owner = signed_in(app)
    owner.post("/logout")
    assert can_see_dashboard(other_device)


def test_a_copied_remember_cookie_stops_working_at_sign_out(app, ada):
    owner = signed_in(app, remember=True)
    thief = copy_of(app, owner, "remember_token")
    assert can_see_dashboard(thief)
    fresh_thief = copy_of(app, owner, "remember_token")
    owner.post("/logout")
    assert not can_see_dashboard(fresh_thief)


def test_a_password_change_ends_every_other_session(app, ada):
    owner = signed_in(app, remember=True)
    laptop = signed_in(app)
    thief = copy_of(app, owner, "remember_token")
    response = owner.post("/settings/password", data={
        "current": PASSWORD, "password": "violet canyon drum", "confirm": "violet canyon drum"})
    assert response.status_code == 302
    assert "Every other device was signed out" in owner.get("/settings/profile").get_data(as_text=True)
    assert can_see_dashboard(owner)
    assert not can_see_dashboard(laptop) and not can_see_dashboard(thief)


def test_sign_out_everywhere_ends_every_session(app, ada):
    phone, laptop = signed_in(app, remember=True), signed_in(app)
    assert "Sign out everywhere" in laptop.get("/settings/profile").get_data(as_text=True)
    response = laptop.post("/settings/sessions/end")
    assert response.location == "/login"
    assert not can_see_dashboard(laptop) and not can_see_dashboard(phone)
    assert can_see_dashboard(signed_in(app))


def test_remember_me_lasts_30_days_and_no_longer(app, ada, clock):
    from email.utils import parsedate_to_datetime

    client = app.test_client()
    response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD, "remember": "y"})
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header)[1])
    assert abs((expires - MONDAY_MORNING).total_seconds() - timedelta(days=30).total_seconds()) < 120
    clock.shift(timedelta(days=29))
    assert can_see_dashboard(copy_of(app, client, "remember_token"))
    clock.shift(timedelta(days=2))
    # Even a cookie kept past its expiry by a thief is refused.
    assert not can_see_dashboard(copy_of(app, client, "remember_token"))


def test_a_session_from_before_versions_is_signed_out(app, ada):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # what a cookie held before: only the user's id
        session["_fresh"] = True
    assert not can_see_dashboard(client)


# ---------------------------------------------------------------- guessing passwords


def test_guessing_one_account_is_stopped_after_ten_tries(app, ada, clock):
    guesser = app.test_client()
    for attempt in range(10):
        response = guesser.post("/login", data={"email": "ada@example.com", "password": f"guess {attempt}"})
        assert response.status_code == 422
    blocked = guesser.post("/login", data={"email": "ADA@example.com", "password": PASSWORD})
    body = blocked.get_data(as_text=True)
    assert blocked.status_code == 429 and "Too many attempts. Please try again in 2 minutes." in body
    # Ada, on another address, is held back too, but only for minutes: never locked out.
    clock.shift(timedelta(seconds=91))
    assert signed_in(app)


def test_guessing_from_one_address_is_stopped_across_accounts(app, ada):
    guesser = app.test_client()
    statuses = [guesser.post("/login", data={"email": f"user{n}@example.com", "password": "x"}).status_code
                for n in range(31)]
    assert statuses[:30] == [422] * 30 and statuses[30] == 429
    # Another address is not affected.
    elsewhere = app.test_client()
    response = elsewhere.post("/login", data={"email": "ada@example.com", "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.location == "/bookings"


def test_an_unknown_email_costs_the_same_password_check(app, ada, monkeypatch):
    from linktime.accounts import service

    checks = []
    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash", lambda *a: checks.append(a) or real(*a))
    monkeypatch.setattr(User, "check_password", lambda self, p: checks.append(p) or real(self.password_hash, p))
    client = app.test_client()
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "wrong password"})
    known = client.post("/login", data={"email": "ada@example.com", "password": "wrong password"})
    assert len(checks) == 2  # one slow hash each
    assert unknown.status_code == known.status_code == 422
    pages = [r.get_data(as_text=True).replace(email, "EMAIL")
             for r, email in ((unknown, "nobody@example.com"), (known, "ada@example.com"))]
    assert strip_tokens(pages[0]) == strip_tokens(pages[1])


def test_the_profile_never_says_whether_an_email_has_an_account(app, ada):
    with app.app_context():
        add_user("bob", admin=False)
    client = signed_in(app)
    answers = []
    for email in ("bob@example.com", "fresh@example.com"):
        response = client.post("/settings/profile", data=dict(
            name="Ada", email=email, username="ada", timezone="America/New_York"), follow_redirects=True)
        answers.append(strip_tokens(response.get_data(as_text=True).replace(email, "EMAIL")))
    assert answers[0] == answers[1] and "your email changes when you open it" in answers[0]
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.username == "ada")) == "ada@example.com"
    # The new address proves itself by opening the link; the taken one's link does nothing.
    fresh = latest_link(app, "/settings/email/confirm")
    client.get(fresh)
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.username == "ada")) == "fresh@example.com"
    taken = [m for m in outbox_messages(app) if m["To"] == "bob@example.com"]
    link = re.search(r"(/settings/email/confirm\S+)", taken[0].get_body(("plain",)).get_content())[1]
    assert "not valid any more" in client.get(link, follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "bob@example.com")) == 1


def test_open_signup_answers_the_same_for_an_existing_address(tmp_path):
    from tests.helpers import close_app, make_app

    app = make_app(tmp_path, ALLOW_SIGNUP=True)
    with app.app_context():
        add_user("ada")
    client = app.test_client()
    pages = [client.post("/signup", data={"email": email}).get_data(as_text=True).replace(email, "EMAIL")
             for email in ("ada@example.com", "new@example.com")]
    assert strip_tokens(pages[0]) == strip_tokens(pages[1])
    subjects = {m["To"]: m["Subject"] for m in outbox_messages(app)}
    assert subjects == {"ada@example.com": "You already have a LinkTime account",
                        "new@example.com": "Finish creating your LinkTime account"}
    close_app(app)


# ---------------------------------------------------------------- invites


def invite_link(app, email="grace@example.com") -> str:
    admin = signed_in(app)
    assert admin.post("/team/invites", data={"email": email}).status_code == 302
    return latest_link(app, "/signup?invite=")


def test_an_invite_is_emailed_and_the_database_does_not_hold_its_link(app, ada):
    link = invite_link(app)
    message = outbox_messages(app)[-1]
    assert message["To"] == "grace@example.com" and "invited you" in message["Subject"]
    token = link.split("invite=")[1]
    with app.app_context():
        for row in db.session.execute(select(Invite.__table__)).all():
            assert token not in " ".join(str(value) for value in row)
    assert "invited you" in app.test_client().get(link).get_data(as_text=True)


def test_eight_sign_ups_at_once_with_one_invite_make_one_account(app, ada):
    link = invite_link(app)
    barrier = threading.Barrier(8)
    statuses = []

    def sign_up(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(link, data=dict(name=f"G{n}", email="grace@example.com", username=f"grace{n}",
                                              timezone="UTC", password="violet canyon drum",
                                              confirm="violet canyon drum"))
        statuses.append(response.status_code)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(302) == 1 and all(s in (302, 404, 409) for s in statuses), statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_revoked_invite_stops_working_at_once(app, ada):
    link = invite_link(app)
    admin = signed_in(app)
    with app.app_context():
        invite_id = db.session.scalar(select(Invite.id))
    page = admin.get("/team").get_data(as_text=True)
    assert "grace@example.com" in page and "Revoke" in page
    assert admin.post(f"/team/invites/{invite_id}/revoke").status_code == 303
    assert "Invite revoked" in admin.get("/team").get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404


def test_an_invite_expires_after_seven_days(app, ada, clock):
    link = invite_link(app)
    clock.shift(timedelta(days=6, hours=23))
    assert app.test_client().get(link).status_code == 200
    clock.shift(timedelta(hours=2))
    assert app.test_client().get(link).status_code == 404


def test_an_invite_cannot_go_to_an_existing_member(app, ada):
    admin = signed_in(app)
    response = admin.post("/team/invites", data={"email": "ADA@example.com"})
    assert response.status_code == 422 and "already belongs to a team member" in response.get_data(as_text=True)


def test_a_forged_or_altered_invite_token_is_refused(app, ada):
    link = invite_link(app)
    token = link.split("invite=")[1]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (altered, "0" * 54, token[:32], "x" * 5000):
        assert app.test_client().get(f"/signup?invite={bad}").status_code == 404


# ---------------------------------------------------------------- renamed hosts


def test_a_renamed_host_keeps_their_links_and_nobody_can_take_the_old_name(app, ada):
    owner = signed_in(app)
    owner.post("/settings/profile", data=dict(name="Ada", email="ada@example.com", username="ada-l",
                                              timezone="America/New_York"))
    visitor = app.test_client()
    moved = visitor.get("/ada/intro-call?tz=Europe/Berlin")
    assert moved.status_code == 308 and moved.location == "/ada-l/intro-call?tz=Europe/Berlin"
    assert visitor.get("/ada").location == "/ada-l"
    # Nobody else can take "ada": not by renaming, not by signing up.
    with app.app_context():
        add_user("bob", admin=False)
    bob = app.test_client()
    bob.post("/login", data={"email": "bob@example.com", "password": PASSWORD})
    taken = bob.post("/settings/profile", data=dict(name="Bob", email="bob@example.com", username="ada",
                                                    timezone="UTC"))
    assert taken.status_code == 422 and "That username is taken" in taken.get_data(as_text=True)
    # Ada herself may go back to it.
    owner.post("/settings/profile", data=dict(name="Ada", email="ada@example.com", username="ada",
                                              timezone="America/New_York"))
    assert visitor.get("/ada/intro-call").status_code == 200
    assert visitor.get("/ada-l/intro-call").location == "/ada/intro-call"


def test_the_command_line_holds_passwords_to_the_same_rule(app, runner):
    args = ["create-user", "--email", "ada@example.com", "--username", "ada", "--name", "Ada"]
    weak = runner.invoke(args=[*args, "--password", "password1234"])
    assert weak.exit_code != 0 and "common password" in weak.output
    assert runner.invoke(args=[*args, "--password", "violet canyon drum"]).exit_code == 0
    again = runner.invoke(args=[*args, "--username", "ada2", "--password", "violet canyon drum"])
    assert again.exit_code != 0 and "an account with this email exists" in again.output
