"""Sign-up and Settings as a new user meets them: the zone picker, and forms that never drop a change."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.helpers import add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage


def test_sign_up_starts_from_the_browser_zone_and_searches_by_country(live_app, live_server, new_context):
    from linktime.extensions import db
    from linktime.models import User

    # Chromium reports Kolkata by the older name "Asia/Calcutta".
    page = new_context(timezone_id="Asia/Kolkata", viewport={"width": 390, "height": 900}).new_page()
    page.goto(f"{live_server.url}/signup")
    zone = page.get_by_role("combobox", name="Time zone")
    page.locator("#timezone").evaluate("select => select.value")
    expect(zone).to_have_value("Kolkata (UTC+5:30)")
    zone.fill("Deutschland")
    page.get_by_role("option", name="Berlin").first.click()
    assert zone.input_value().startswith("Berlin (UTC+")
    screenshot(page, "signup-zone-390")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/event-types/new")
    with live_app.app_context():
        assert db.session.scalar(select(User.timezone)) == "Europe/Berlin"


def test_saving_one_form_of_the_profile_asks_before_dropping_a_change_in_another(live_app, live_server, new_context):
    from linktime.extensions import db
    from linktime.models import User

    with live_app.app_context():
        add_user("ada", timezone="Europe/London")
    page = new_context().new_page()
    sign_in_page(page, live_server.url)
    page.goto(f"{live_server.url}/settings/profile")
    zone = page.get_by_role("combobox", name="Time zone")
    zone.fill("Tokyo")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert zone.input_value() == "Tokyo (UTC+9)"
    asked = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Save look").click()
    assert asked == ["Your changes under “Profile” are not saved yet and will be lost. Go on?"]
    assert page.url.endswith("/settings/profile") and zone.input_value() == "Tokyo (UTC+9)"
    page.get_by_role("button", name="Save profile").click()  # the form with the change: no question
    page.get_by_text("Profile saved").wait_for()
    assert len(asked) == 1
    with live_app.app_context():
        assert db.session.scalar(select(User.timezone)) == "Asia/Tokyo"
