"""From the event type form to a booking with answers and a guest, to the host's email and the
event in the host's CalDAV calendar (a real Radicale server)."""
from __future__ import annotations

import re

import pytest
import requests
from icalendar import Calendar

from tests.helpers import ARTIFACTS, RADICALE_PASSWORD, add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # one flow; storage is covered in tests/web
AUTH = ("ada", RADICALE_PASSWORD)


def events_in(radicale: str, calendar: str) -> list:
    listing = requests.request("PROPFIND", f"{radicale}/ada/{calendar}/", auth=AUTH, headers={"Depth": "1"})
    paths = re.findall(r"<[^>]*href>([^<]+\.ics)</[^>]*href>", listing.text)  # as the server writes them
    return [Calendar.from_ical(requests.get(f"{radicale}{path}", auth=AUTH).content).walk("VEVENT")[0]
            for path in paths]


def test_questions_and_a_guest_from_the_form_to_the_hosts_email_and_calendar(mail_app, live_server_for, smtp,
                                                                             radicale, new_context):
    from linktime.calendars import service
    from linktime.jobs.runner import dispatch
    from linktime.models import CalendarProvider

    with mail_app.app_context():
        host = add_user("ada", timezone="Europe/Berlin")
        connection = service.connect_with_password(host, CalendarProvider.CALDAV, radicale, "ada", RADICALE_PASSWORD)
        home = next(c for c in connection.calendars if c.name == "Home")
        service.choose(host, set(), home.id)  # bookings are written to Home
    server = live_server_for(mail_app)

    # The host asks two questions and allows one guest.
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_page(page, server.url)
    page.goto(f"{server.url}/event-types/new")
    page.get_by_label("Title").fill("Consultation")
    first = page.get_by_role("group", name="Question 1")
    first.get_by_label("Question").fill("Company")
    first.get_by_label("Required").check()
    second = page.get_by_role("group", name="Question 2")
    second.get_by_label("Question").fill("Topic")
    second.get_by_label("Answer").select_option("choice")
    second.get_by_label("Options, one per line").fill("Pricing\nSupport")
    page.get_by_label("Guests an invitee may add").fill("1")
    page.locator("fieldset.questions").screenshot(path=str(ARTIFACTS / "questions-01-form.png"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/event-types")

    # An invitee answers, brings a colleague and books.
    invitee = new_context(timezone_id="Europe/Berlin", viewport={"width": 390, "height": 900}).new_page()
    invitee.goto(f"{server.url}/ada/consultation")
    invitee.locator("a.day.available:not(.selected)").first.click()
    invitee.locator(".slot:focus").wait_for()
    invitee.locator(".slot-list a.slot").first.click()
    invitee.get_by_label("Your name").fill("Bea Invitee")
    invitee.get_by_label("Email").fill("bea@example.com")
    invitee.get_by_role("button", name="Confirm booking").click()
    assert "Please answer this question." in invitee.locator("form").inner_text()  # Company is required
    invitee.get_by_label("Company").fill("Acme GmbH")
    invitee.get_by_role("radio", name="Support").check()
    invitee.get_by_label("Guests (optional)").fill("cy@example.com")
    screenshot(invitee, "questions-02-booking-form-390")
    invitee.get_by_role("button", name="Confirm booking").click()
    assert invitee.locator("h1").inner_text() == "You are scheduled"

    with mail_app.app_context():
        dispatch()
    to_host = smtp.to("ada@example.com")[0].get_body(preferencelist=("plain",)).get_content()
    assert "Company: Acme GmbH" in to_host and "Topic: Support" in to_host and "Guests: cy@example.com" in to_host
    assert "added you as a guest" in smtp.to("cy@example.com")[0].get_body(preferencelist=("plain",)).get_content()
    [event] = events_in(radicale, "home")
    assert "Company: Acme GmbH" in str(event["DESCRIPTION"]) and "Topic: Support" in str(event["DESCRIPTION"])
    assert "mailto:cy@example.com" in [str(attendee) for attendee in event.get("ATTENDEE")]

    page.goto(f"{server.url}/bookings")
    page.get_by_role("link", name="Bea Invitee").click()
    facts = page.locator(".booking-facts").inner_text()
    assert "Company\nAcme GmbH" in facts and "cy@example.com" in facts
    screenshot(page, "questions-03-host-booking")
