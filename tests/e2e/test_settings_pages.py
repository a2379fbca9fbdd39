"""Sign-up and Settings as a new user meets them: the zone picker, and forms that never drop a change."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_skeleton
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
    page.keyboard.press("Enter")  # before the suggestions show: the first is taken when they come
    expect(zone).to_have_value("Tokyo (UTC+9)")
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


def test_a_schedule_with_holidays_and_days_off_made_and_chosen_in_the_browser(live_app, live_server, new_context):
    from linktime.extensions import db
    from linktime.models import EventType, Schedule
    from tests.helpers import add_event_type

    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/Berlin"))
    page = new_context(viewport={"width": 390, "height": 900}).new_page()
    sign_in_page(page, live_server.url)
    page.goto(f"{live_server.url}/settings/availability")
    page.get_by_label("Name of the new schedule").fill("Office hours")
    page.get_by_role("button", name="New schedule").click()
    page.get_by_label("Public holidays off").select_option("DE")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Weihnachtstag").or_(page.get_by_text("Christmas Day")).first.wait_for()
    first = date.today() + timedelta(days=40)  # any day ahead: the page lists days from today on
    last = first + timedelta(days=4)
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To (for several days)").fill(last.isoformat())
    page.get_by_role("button", name="Add these days").click()
    screenshot(page, "schedule-edit-390")
    written = [format_skeleton("yMMMEd", day, locale="en_GB") for day in (first, last)]  # the browser's en-GB
    page.get_by_text(f"{written[0]} – {written[1]}").wait_for()
    page.goto(f"{live_server.url}/event-types/1/edit")
    hours = page.get_by_label("Hours", exact=True)
    own = page.locator("[data-own-hours]")
    assert own.is_visible()
    hours.select_option(label="Office hours")
    assert not own.is_visible()  # the schedule's hours are used, not these
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/event-types")
    with live_app.app_context():
        schedule = db.session.scalar(select(Schedule))
        assert db.session.scalar(select(EventType.schedule_id)) == schedule.id
        assert schedule.holiday_country == "DE" and (first + timedelta(days=2)).isoformat() in schedule.date_overrides
