"""A host's own screens in the language of their profile: every page a host can open, the messages
after what they do, and the emails LinkTime writes to them; sign-in, sign-up and Data & privacy in
the visitor's own language. Fails on any English left (see tests/web/test_languages.py)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from linktime.api.keys import make_key
from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import (
    Booking,
    CalendarConnection,
    Invite,
    Job,
    OutOfOffice,
    Schedule,
    Team,
    TeamMember,
    User,
    Webhook,
    WebhookDelivery,
    ZoomConnection,
)
from tests.helpers import add_event_type, add_user, signed_in
from tests.web.test_access import HOST_RULES, url_for_rule
from tests.web.test_languages import DATA, OTHERS, english_left, visible
from tests.web.test_notifications import html_of, text_of

# What a host's pages show of their own records, and names that stay as they are in every language.
HOST_DATA = [*DATA, "CalDAV (Nextcloud, Fastmail, iCloud, Radicale…)", "Nextcloud, Fastmail, iCloud, Radicale…",
             "Bob", "Sales", "Work week", "Ada at dav.example", "ada at dav.example", "Personal cal",
             "Cy", "x@zoom.test", "AES-256-GCM", "OAuth", "CalDAV", "Nextcloud", "Fastmail", "iCloud", "Radicale",
             "Google Meet", "Google", "Microsoft", "Twilio", "TWILIO_*", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET",
             "MAIL_SERVER", "instance/outbox/", "CSV", "HTML", "PNG, JPEG, WebP", "GIF", "URL", "SMTP", "ID",
             "myapps.microsoft.com", "account.live.com/consent/Manage", "myaccount.google.com/permissions",
             "zoom.us", "Deutsch", "English", "Français", "Español", "Português", "Zoom Marketplace",
             "Manage", "Installed Apps", "Uninstall", "Application not found", "Intro Call (copy)", "Krank",
             "https://crm.example.com/hook", "CRM", "HTTP 500", "answered HTTP 500", "https://example.com/linktime"]


@pytest.fixture
def office(mail_app, smtp):
    """Ada (admin) with everything a host's pages show: bookings upcoming, past and cancelled (with
    answers and a guest), a calendar account, Zoom, a team with a team event type, a schedule with
    days off, time away, a pending invite and a failed job; Bob, a teammate."""
    app = mail_app
    with app.app_context():
        ada, bob = add_user("ada"), add_user("bob", admin=False)
        questions = [{"id": "q1", "label": "Company", "kind": "short", "required": True, "options": []}]
        event_type = add_event_type(ada, questions=questions, max_guests=1, location="zoom")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        for offset, status in ((timedelta(0), "confirmed"), (timedelta(days=-10), "confirmed"),
                               (timedelta(days=1), "cancelled")):
            db.session.add(Booking(
                host_id=ada.id, event_type_id=event_type.id, title="Intro Call", location="none",
                start=start + offset, end=start + offset + timedelta(minutes=30), invitee_name="Cy",
                invitee_email="cy@example.com", invitee_timezone="Europe/Berlin", status=status,
                cancelled_by="invitee" if status == "cancelled" else None,
                answers=[{"question": "Company", "kind": "short", "answer": "Acme"}], guests=["bea@example.com"]))
        db.session.add(Job(kind="email.booking", payload={"kind": "confirmation", "recipient": "invitee"},
                           status="failed", attempts=5, last_error="Connection refused"))
        db.session.add(Invite(created_by_id=ada.id, email="new@example.com"))
        calendars = CalendarConnection(user_id=ada.id, provider="caldav", account="ada at dav.example",
                                       server_url="https://dav.example/")
        calendars.secret = "app-password"
        db.session.add(calendars)
        zoom = ZoomConnection(user_id=ada.id, connected_by_id=ada.id, zoom_user_id="z1", email="x@zoom.test",
                              expires_at=start, scopes="")
        zoom.access_token, zoom.refresh_token = "access", "refresh"
        db.session.add(zoom)
        team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=ada.id), TeamMember(user_id=bob.id)])
        db.session.add(team)
        db.session.flush()
        add_event_type(ada, slug="demo", title="Demo", team_id=team.id, scheduling="round_robin")
        db.session.add(OutOfOffice(user_id=ada.id, first_day=start.date(), last_day=start.date() + timedelta(days=1)))
        db.session.add(Schedule(user_id=ada.id, name="Work week", weekly_hours={"0": [["09:00", "17:00"]]},
                                date_overrides={"2026-12-24": [], "2026-12-31": [["09:00", "12:00"]]},
                                holiday_country="DE", is_default=True))
        hook = Webhook(user_id=ada.id, url="https://crm.example.com/hook", events=["booking.created"],
                       failing_since=start)
        hook.secret = "whsec_x"
        db.session.add(hook)
        db.session.flush()
        db.session.add(WebhookDelivery(webhook_id=hook.id, event="booking.created", payload={}, status="failed",
                                       response_code=500, last_error="answered HTTP 500", attempts=3,
                                       booking_id=db.session.scalar(select(Booking.id))))
        key, _secret = make_key(ada, "CRM")
        db.session.commit()
        ids = {"webhook_id": hook.id, "delivery_id": 1, "key_id": key.id, "event_type_id": event_type.id,
               "booking_id": db.session.scalar(select(Booking.id)),
               "team_id": team.id, "away_id": db.session.scalar(select(OutOfOffice.id)),
               "schedule_id": db.session.scalar(select(Schedule.id)), "job_id": db.session.scalar(select(Job.id)),
               "invite_id": db.session.scalar(select(Invite.id)), "connection_id": calendars.id}
    return app, ids


def speaking(app, code: str) -> None:
    with app.app_context():
        db.session.execute(User.__table__.update().values(language=code))
        db.session.commit()


def host_pages(app, ids) -> dict[str, str]:
    """Every page a signed-in host can open (each GET route of a host), and what their actions say."""
    client = signed_in(app)
    pages = {}
    for rule, method in HOST_RULES:
        if method != "GET" or rule.endpoint.startswith(("zoom.", "calendars.", "admin.message", "bookings.export")):
            continue  # redirects to providers, fragments shown on Integrations, a stored email, a CSV file
        url = url_for_rule(rule, {**ids, "name": "google"})
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[url] = response.get_data(as_text=True)
    for tab in ("past", "cancelled"):
        pages[f"dashboard {tab}"] = client.get(f"/bookings?tab={tab}&q=nobody").get_data(as_text=True)
    # What they are told after doing things, and a form sent wrong.
    client.post(f"/event-types/{ids['event_type_id']}/duplicate")
    pages["after duplicating"] = client.get("/event-types").get_data(as_text=True)
    pages["event type form with errors"] = client.post(
        f"/event-types/{ids['event_type_id']}/edit",
        data={"title": "", "duration_minutes": "x", "monday": "9-5pm", "date_overrides": "24.12."}).get_data(
        as_text=True)
    pages["schedule made"] = client.post("/settings/availability", data={"name": "Summer"},
                                         follow_redirects=True).get_data(as_text=True)
    return pages


@pytest.mark.parametrize("code", OTHERS)
def test_every_page_and_message_of_a_host_is_in_their_language(office, smtp, code):
    app, ids = office
    speaking(app, code)
    pages = host_pages(app, ids)
    assert len(pages) > 20
    anonymous = app.test_client()
    for path in ("/", "/login", "/signup", "/privacy"):
        pages[f"anonymous {path}"] = anonymous.get(path, headers={"Accept-Language": code}).get_data(as_text=True)
    signed_in(app).post("/team/invites", data={"email": "dee@example.com"})
    with app.app_context():
        dispatch()
    invite = smtp.to("dee@example.com")[0]
    messages = {"invite email": invite["Subject"] + "\n" + text_of(invite),
                "invite email (html)": visible(html_of(invite))}
    # (Permission names in <code> are the providers' own: "email", "meeting:write:meeting"; the
    # recent activity's lines are a record, kept as they were written.)
    kept = re.compile(r"<code>.*?</code>|<ul class=\"activity\">.*?</ul>", re.S)
    found = {name: english_left(visible(kept.sub(" ", page)), code, HOST_DATA) for name, page in pages.items()}
    found.update({name: english_left(text, code, HOST_DATA) for name, text in messages.items()})
    assert {name: words for name, words in found.items() if words} == {}


def test_a_host_without_a_language_reads_english_and_the_invitees_own_page_stays_theirs(office):
    app, _ids = office
    speaking(app, "de")
    client = signed_in(app)
    assert "Buchungen" in client.get("/bookings").get_data(as_text=True)
    # The host's booking page, opened by the host: an invitee's page, in the browser's language.
    page = client.get("/ada/intro-call", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="fr"' in page
    speaking(app, "")
    assert "Bookings" in client.get("/bookings").get_data(as_text=True)


def test_dates_on_a_hosts_pages_are_written_as_their_language_writes_them(office):
    app, _ids = office
    speaking(app, "de")
    page = signed_in(app).get("/settings/out-of-office").get_data(as_text=True)
    with app.app_context():
        first: date = db.session.scalar(select(OutOfOffice)).first_day
    german_day = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."][first.weekday()]
    assert f"{german_day}, {first.day}." in page
