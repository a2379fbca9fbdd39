"""Invitees book in their own language — German and Japanese from the browser's, another from the
switcher, which sticks — and read their confirmation email in it."""
from __future__ import annotations

import pytest

from tests.helpers import add_event_type, add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage

CASES = [
    pytest.param("de-DE", "Buchung bestätigen", "Ihr Termin steht", "Bestätigt: Intro Call mit Ada", "Zeitzone",
                 id="german"),
    pytest.param("ja-JP", "予約を確定", "予約が完了しました", "確定：AdaさんとのIntro Call", "タイムゾーン",
                 id="japanese"),
]


@pytest.mark.parametrize(("locale", "confirm", "done", "subject", "zone_label"), CASES)
def test_an_invitee_books_in_their_browsers_language_and_is_written_to_in_it(
        mail_app, live_server_for, smtp, new_context, locale, confirm, done, subject, zone_label):
    from linktime.jobs.runner import dispatch

    with mail_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    server = live_server_for(mail_app)
    page = new_context(locale=locale, timezone_id="Asia/Tokyo" if locale == "ja-JP" else "Europe/Berlin",
                       viewport={"width": 390, "height": 900}).new_page()
    page.goto(f"{server.url}/ada/intro-call")
    assert page.locator("html").get_attribute("lang") == locale[:2]
    page.get_by_role("combobox", name=zone_label).wait_for()
    page.locator("a.day.available:not(.selected)").first.click()
    page.locator(".slot:focus").wait_for()
    screenshot(page, f"language-{locale}-booking-page")
    page.locator(".slot-list a.slot").first.click()
    page.locator("#name").fill("Bea Invitee")
    page.locator("#email").fill("bea@example.com")
    page.get_by_role("button", name=confirm).click()
    assert page.locator("h1").inner_text() == done
    screenshot(page, f"language-{locale}-confirmation")
    with mail_app.app_context():
        dispatch()
    mail = smtp.to("bea@example.com")[0]
    assert mail["Subject"].startswith(subject)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert (("Ihre Buchung bei Ada ist bestätigt." in body) if locale == "de-DE"
            else ("Adaさんとの予約が確定しました。" in body))


def test_the_language_switcher_changes_the_page_and_sticks(live_app, live_server, new_context):
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    page = new_context(locale="en-GB").new_page()
    page.goto(f"{live_server.url}/ada/intro-call")
    page.locator(".slot-list a.slot").first.wait_for()
    assert page.get_by_text("Time zone").first.is_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    page.get_by_role("heading", name="Intro Call").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_text("Fuseau horaire").is_visible()
    page.goto(f"{live_server.url}/ada/intro-call")  # another visit: still French
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("navigation", name="Langue").get_by_role("link", name="Français").get_attribute(
        "aria-current") == "true"


def test_a_host_who_chooses_german_in_their_profile_works_in_german(live_app, live_server, new_context):
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    page = new_context(locale="en-GB").new_page()
    sign_in_page(page, live_server.url)
    page.goto(f"{live_server.url}/settings/profile")
    page.get_by_label("Language").select_option(label="Deutsch")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Profil gespeichert.").wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    nav = page.get_by_role("navigation", name="Hauptmenü")
    assert nav.get_by_role("link", name="Buchungen").is_visible()
    page.goto(f"{live_server.url}/event-types")
    page.get_by_role("button", name="Bearbeiten").click()
    # What the page's script writes (the hours editor) is German too.
    page.get_by_role("button", name="Zeiten hinzufügen: Montag").wait_for()
    assert page.locator(".hours-off").first.inner_text() == "Nicht verfügbar"  # Saturday, as the script draws it
    screenshot(page, "language-host-german-event-type")
    page.get_by_role("button", name="Abmelden").click()
    # Signed out, the sign-in page follows the browser again.
    assert page.get_by_role("heading", name="Sign in").is_visible()
