"""Docs in the product and the team's screens, as a host meets them, at desktop and phone widths."""
from __future__ import annotations

import pytest

from tests.helpers import add_event_type, add_user, outbox_messages, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.fixture
def site(live_app, live_server):
    live_app.config["SUPPORT_EMAIL"] = "help@example.org"
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    return live_app, live_server.url


@pytest.mark.parametrize("width", WIDTHS)
def test_privacy_support_and_troubleshooting_are_where_they_are_needed(site, new_context, width):
    _app, base = site
    visitor = new_context(viewport={"width": width, "height": 900}).new_page()
    visitor.goto(f"{base}/ada/intro-call")
    visitor.get_by_role("link", name="Data & privacy").click()
    assert visitor.locator("h1").inner_text() == "Data & privacy"
    zoom = visitor.locator("article article").filter(has_text="Zoom").first
    assert "Meeting recordings" in zoom.inner_text() and "Your Zoom email address" in zoom.inner_text()
    assert visitor.get_by_role("link", name="help@example.org").first.is_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(visitor, f"privacy-{width}")

    host = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(host, base)
    host.goto(f"{base}/settings/integrations")
    host.get_by_role("link", name="Data & privacy").first.click()
    assert host.url.endswith("/privacy")
    host.go_back()
    help_ = host.locator("#zoom-card-personal details.help")
    help_.locator("summary").click()
    assert "sign out of Zoom first" in help_.inner_text() and "help@example.org" in help_.inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_team_invites_are_emailed_listed_and_revoked(site, new_context, width):
    app, base = site
    host = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(host, base)
    host.goto(f"{base}/team")
    host.get_by_label("Email").fill(f"new{width}@example.com")
    host.get_by_role("button", name="Send invite").click()
    assert f"Invite sent to new{width}@example.com" in host.locator(".flash").first.inner_text()
    assert any(m["To"] == f"new{width}@example.com" for m in outbox_messages(app))
    listed = host.locator("li", has_text=f"new{width}@example.com")
    assert listed.is_visible()
    assert host.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(host, f"team-{width}")
    host.once("dialog", lambda dialog: dialog.accept())
    listed.get_by_role("button", name="Revoke").click()
    assert "Invite revoked" in host.locator(".flash").first.inner_text()
    assert host.locator("li", has_text=f"new{width}@example.com").count() == 0

    host.goto(f"{base}/admin/jobs")
    assert (
        host.get_by_role("heading", name="Failed").is_visible()
        and "No failed jobs." in host.locator("main").inner_text()
    )
    assert host.get_by_role("heading", name="Waiting (0)").is_visible()  # the invite's email went out at once


@pytest.mark.parametrize("width", WIDTHS)
def test_a_member_sees_the_team_zoom_account_covering_them(zoom_app, live_server_for, new_context, width):
    from tests.helpers import connect_zoom, signed_in

    server = live_server_for(zoom_app)
    with zoom_app.app_context():
        add_user("ada")
        add_event_type(add_user("bob", admin=False), location="zoom")
    assert connect_zoom(signed_in(zoom_app), email="team@zoom-sandbox.test", workspace=True).status_code == 302
    member = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(member, server.url, email="bob@example.com")
    member.goto(f"{server.url}/settings/integrations")
    card = member.locator("#zoom-card-personal")
    assert "Covered by the team" in card.locator("header").inner_text()
    assert "team@zoom-sandbox.test" in card.inner_text()
    screenshot(member, f"member-team-zoom-{width}")
    member.goto(f"{server.url}/event-types")
    assert "is not connected" not in member.locator("main").inner_text()
