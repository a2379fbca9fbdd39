"""Every host page: anonymous visitors are sent to sign in; another host gets a 404."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from linktime import create_app
from linktime.extensions import db
from tests.helpers import add_event_type, add_user

# Pages anyone may open: sign-in/up, the public booking pages and the invitee's private links.
PUBLIC = {
    "static",
    "accounts.index",
    "bookings.zone_search",
    "accounts.signup",
    "accounts.login",
    "accounts.logout",
    "accounts.photo",
    "accounts.brand_css",
    "accounts.privacy",
    "bookings.host_page",
    "bookings.event_page",
    "bookings.book",
    "bookings.manage",
    "bookings.invitee_cancel",
    "bookings.reschedule",
    "bookings.invite",
    "bookings.series_invite",
    "teams.team_page",
    "teams.event_page",
    "teams.book",
    "zoom.webhook",  # Zoom calls it; it proves itself with a signature instead of a session
    "twilio.inbound",  # likewise Twilio
    "feeds.feed",  # a host's private calendar feed: its key is in the address
    # The REST API: an API key in the Authorization header, not a session (tests/web/test_api.py).
    "api.get_me", "api.list_bookings", "api.get_booking", "api.create_booking", "api.cancel_booking",
    "api.reschedule_booking", "api.list_event_types", "api.get_event_type", "api.get_availability",
    "api.openapi_document", "api.docs",
}


def host_rules() -> list[tuple[Rule, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


HOST_RULES = host_rules()


def url_for_rule(rule: Rule, ids: dict[str, int]) -> str:
    path = re.sub(r"<any\(([\w-]+)[^>]*\):\w+>", lambda m: m[1], rule.rule)  # the first of the choices
    return re.sub(r"<(?:(?:int|id):)?(\w+)>", lambda m: str(ids[m[1]]), path)


@pytest.fixture
def records(app):
    """Ada (admin) owns an event type and a booking; Bob is another host, a plain member."""
    from datetime import UTC, datetime, timedelta

    from linktime.api.keys import make_key
    from linktime.models import (
        Booking,
        CalendarConnection,
        Invite,
        Job,
        OutOfOffice,
        Schedule,
        Team,
        TeamMember,
        Webhook,
        WebhookDelivery,
    )

    with app.app_context():
        ada = add_user("ada")
        add_user("bob", admin=False)
        event_type = add_event_type(ada)
        start = datetime.now(UTC) + timedelta(days=3)
        booking = Booking(host_id=ada.id, event_type_id=event_type.id, title="Intro Call", location="none",
                          start=start, end=start + timedelta(minutes=30), invitee_name="Cy",
                          invitee_email="cy@example.com", invitee_timezone="UTC")
        db.session.add(booking)
        job = Job(kind="email.booking", payload={}, status="failed")
        db.session.add(job)
        invite = Invite(created_by_id=ada.id, email="new@example.com")
        db.session.add(invite)
        calendars = CalendarConnection(user_id=ada.id, provider="caldav", account="ada at dav.example",
                                       server_url="https://dav.example/")
        calendars.secret = "app-password"
        db.session.add(calendars)
        team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=ada.id)])
        db.session.add(team)
        away = OutOfOffice(user_id=ada.id, first_day=start.date(), last_day=start.date())
        db.session.add(away)
        schedule = Schedule(user_id=ada.id, name="Work", weekly_hours={}, date_overrides={}, holiday_country="")
        db.session.add(schedule)
        hook = Webhook(user_id=ada.id, url="https://crm.example.com/hook", events=["booking.created"])
        hook.secret = "whsec_x"
        db.session.add(hook)
        db.session.flush()
        delivery = WebhookDelivery(webhook_id=hook.id, event="booking.created", booking_id=booking.id, payload={},
                                   status="delivered")
        db.session.add(delivery)
        key, _secret = make_key(ada, "script")
        db.session.commit()
        return {"team_id": team.id, "away_id": away.id, "schedule_id": schedule.id, "event_type_id": event_type.id,
                "booking_id": booking.id,
                "job_id": job.id, "name": "x.eml", "invite_id": invite.id, "connection_id": calendars.id,
                "webhook_id": hook.id, "delivery_id": delivery.id, "key_id": key.id}


def test_every_host_route_is_covered():
    endpoints = {rule.endpoint for rule, _ in HOST_RULES}
    assert {"bookings.dashboard", "event_types.edit", "accounts.integrations", "accounts.team"} <= endpoints


@pytest.mark.parametrize("rule,method", HOST_RULES, ids=lambda v: v.rule if isinstance(v, Rule) else v)
def test_anonymous_visitors_are_sent_to_sign_in(client, records, rule, method):
    response = client.open(url_for_rule(rule, records), method=method)
    assert response.status_code == 302
    assert response.location.startswith("/login")


@pytest.mark.parametrize("rule,method", HOST_RULES, ids=lambda v: v.rule if isinstance(v, Rule) else v)
def test_another_host_gets_404_for_records_not_theirs(client, auth, records, rule, method):
    auth.login("bob@example.com")
    response = client.open(url_for_rule(rule, records), method=method)
    admin_only = rule.endpoint.startswith("admin.") or (rule.endpoint.startswith("accounts.") and "team" in rule.rule) \
        or rule.endpoint == "teams.create"
    if rule.arguments - {"name"} or admin_only:  # a record in the URL (a provider's name is not one)
        assert response.status_code == 404
    else:
        # Pages without a record in the URL show Bob only his own things.
        assert response.status_code in {200, 302, 303, 400, 422}
        body = response.get_data(as_text=True)
        assert "cy@example.com" not in body and "/ada/intro-call" not in body
        assert f"/event-types/{records['event_type_id']}/" not in body


@pytest.mark.parametrize("path", ["/bookings/99999999999999999999/cancel", "/event-types/99999999999999999999/edit",
                                  "/admin/mail/" + "x" * 300 + ".eml", "/ada/intro-call?date=99999-01-01",
                                  "/ada/intro-call/book?start=9999-12-31T23:59:59-23:59",
                                  "/ada/intro-call/book?start=0001-01-01T00:00:00%2B23:59"])
def test_absurd_numbers_dates_and_names_are_4xx_not_500(client, app, auth, path):
    with app.app_context():
        add_event_type(add_user("ada"))
    auth.login()
    response = client.get(path)
    # Refused (4xx), or — for a page's optional date — ignored; never an error page.
    assert response.status_code < 500 and "Something went wrong" not in response.get_data(as_text=True)
    if "date=" not in path:
        assert response.status_code >= 400
