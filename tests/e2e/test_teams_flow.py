"""Teams in a real browser, at desktop and phone widths: an admin makes a team with a round-robin
and a collective event type, and invitees book each from the team page and from an embed."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_embed import other_site  # noqa: F401 - a fixture
from tests.helpers import add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages; storage is in tests/web (both databases)

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def next_weekday() -> str:
    day = datetime.now(UTC).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def new_team_event_type(page, base: str, title: str, kind: str) -> None:
    page.goto(f"{base}/teams")
    page.get_by_role("button", name="New team event type").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Who the invitee meets").select_option(kind)
    page.get_by_role("button", name="Save").click()
    assert f"“{title}” saved" in page.locator(".flash").first.inner_text(), \
        page.locator(".field-error").all_inner_texts()


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_makes_a_team_and_invitees_book_round_robin_and_collective(live_app, live_server, new_context,
                                                                       other_site, width):
    with live_app.app_context():
        add_user("ada", timezone="Europe/London")
        add_user("bob", timezone="Europe/London", admin=False)
    base = live_server.url
    admin = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(admin, base)
    admin.goto(f"{base}/teams")
    screenshot(admin, f"teams-00-{width}")
    admin.get_by_role("button", name="Create your first team").click()
    admin.get_by_label("Team name").fill("Sales")
    admin.get_by_label("Bob (bob@example.com)").check()
    assert fits(admin)
    screenshot(admin, f"teams-01-new-team-{width}")
    admin.get_by_role("button", name="Save").click()
    assert "“Sales” saved" in admin.locator(".flash").first.inner_text()

    new_team_event_type(admin, base, "Talk to Sales", "round_robin")
    admin.get_by_role("button", name="New team event type").click()
    admin.wait_for_load_state("load")
    screenshot(admin, f"teams-02-event-type-form-{width}")
    assert fits(admin)
    admin.goto(f"{base}/teams")
    new_team_event_type(admin, base, "Panel interview", "collective")
    assert admin.locator("article", has_text="Panel interview").get_by_text("Collective").is_visible()
    assert fits(admin)
    screenshot(admin, f"teams-03-teams-page-{width}")

    invitee = new_context(viewport={"width": width, "height": 900}, timezone_id="Europe/London").new_page()
    invitee.goto(f"{base}/team/sales")
    assert invitee.get_by_role("img", name="Bob").first.is_visible()
    assert fits(invitee)
    screenshot(invitee, f"teams-04-team-page-{width}")
    invitee.get_by_role("link", name="Talk to Sales").click()
    invitee.goto(f"{invitee.url}?date={next_weekday()}")
    invitee.locator(".slot-list a.slot").first.click()
    invitee.wait_for_url(re.compile(r"/team/sales/talk-to-sales/book\?"))
    invitee.get_by_label("Your name").fill("Cleo Invitee")
    invitee.get_by_label("Email").fill("cleo@example.org")
    invitee.get_by_role("button", name="Confirm booking").click()
    invitee.wait_for_url(re.compile(r"/booking/"))
    assert re.search(r"Talk to Sales with (Ada|Bob)", invitee.locator("main").inner_text())
    screenshot(invitee, f"teams-05-round-robin-booked-{width}")

    # The collective one, from an embed on the team's own site.
    folder, site = other_site
    (folder / "team.html").write_text(f'<!doctype html><title>Our site</title><iframe title="Book" '
                                      f'src="{base}/team/sales/panel-interview?embed=1&date={next_weekday()}" '
                                      'style="width:100%;height:860px;border:0"></iframe>')
    framed = new_context(viewport={"width": width, "height": 900}).new_page()
    framed.goto(f"{site}/team.html")
    frame = framed.frame_locator("iframe")
    frame.locator(".slot-list a.slot").first.click()
    frame.get_by_label("Your name").fill("Dan Invitee")
    frame.get_by_label("Email").fill("dan@example.org")
    frame.get_by_role("button", name="Confirm booking").click()
    frame.get_by_role("heading", name="You are scheduled").wait_for()  # the confirmation, loaded in the frame
    assert "Panel interview with Ada and Bob" in frame.locator("main").inner_text()
    screenshot(framed, f"teams-06-collective-booked-in-embed-{width}")

    # axe, on the team's pages and the admin's (its script is injected: a context that allows it).
    checker = new_context(viewport={"width": width, "height": 900}, bypass_csp=True).new_page()
    found = []
    for path in ["/team/sales", "/team/sales/talk-to-sales", "/team/sales/panel-interview"]:
        checker.goto(base + path)
        found += serious_violations(checker)
    sign_in_page(checker, base)
    for path in ["/teams", "/teams/new", "/teams/1/edit", "/teams/1/event-types/new", "/meetings/new",
                 "/settings/out-of-office", "/bookings?member=team"]:
        checker.goto(base + path)
        found += serious_violations(checker)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_host_books_an_internal_meeting_and_hands_a_booking_over(live_app, live_server, new_context, width):
    from linktime.bookings import service
    from linktime.extensions import db
    from linktime.models import Booking, EventType, EventTypeHost, Scheduling, Team, TeamMember

    with live_app.app_context():
        ada = add_user("ada", timezone="Europe/London")
        bob = add_user("bob", timezone="Europe/London", admin=False)
        team = Team(slug="sales", name="Sales", members=[TeamMember(user_id=ada.id), TeamMember(user_id=bob.id)])
        db.session.add(team)
        db.session.flush()
        talk = EventType(host_id=ada.id, team_id=team.id, scheduling=Scheduling.ROUND_ROBIN.value, title="Talk",
                         slug="talk", duration_minutes=30, location="none", location_detail="",
                         weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)}, date_overrides={},
                         min_notice_minutes=0, increment_minutes=30, team_hosts=[EventTypeHost(user_id=ada.id),
                                                                                 EventTypeHost(user_id=bob.id)])
        db.session.add(talk)
        db.session.commit()
        day = datetime.fromisoformat(next_weekday()).replace(hour=11, tzinfo=UTC)
        booked = service.book_slot(talk, day, service.Invitee(name="Cleo", email="cleo@example.org",
                                                               timezone="Europe/London"))
        booking_id, holder = booked.id, booked.host.name
    base = live_server.url
    host = new_context(viewport={"width": width, "height": 900}, timezone_id="Europe/London").new_page()
    sign_in_page(host, base)
    host.goto(f"{base}/bookings")
    host.get_by_role("button", name="New internal meeting").click()
    host.get_by_label("Title").fill("Planning")
    host.get_by_label("Location").select_option("none")
    host.get_by_label("Bob").check()
    host.get_by_label("Outside guests (optional)").fill("guest@example.org")
    host.get_by_role("button", name="Find times").click()
    host.locator(".slot-choice input").first.check()
    assert fits(host)
    screenshot(host, f"teams-07-internal-meeting-times-{width}")
    host.get_by_role("button", name="Book this time").click()
    host.wait_for_url(re.compile(r"/bookings/\d+$"))
    assert "“Planning” is booked with Ada and Bob" in host.locator(".flash").first.inner_text()
    assert "guest@example.org" in host.locator("main").inner_text()
    screenshot(host, f"teams-08-internal-meeting-booked-{width}")

    host.goto(f"{base}/bookings/{booking_id}")
    other = "Bob" if holder == "Ada" else "Ada"
    host.get_by_label("Hand this booking to").select_option(label=other)
    host.get_by_role("button", name="Hand over").click()
    host.get_by_text(f"Handed to {other}").wait_for()
    assert f"Handed to {other}" in host.locator(".flash").first.inner_text()
    assert fits(host)
    screenshot(host, f"teams-09-handed-over-{width}")
    with live_app.app_context():
        assert db.session.get_one(Booking, booking_id).host.name == other
