"""The booking page as invitees use it: their clock, their zone, the keyboard, a phone."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import add_event_type, add_user, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


@pytest.fixture
def page_url(live_server, live_app):
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    return f"{live_server.url}/ada/intro-call"


def slot_texts(page) -> list[str]:
    page.locator(".slot-list a.slot").first.wait_for()
    return [text.strip() for text in page.locator(".slot-list a.slot").all_inner_texts()]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("locale", "clock", "other"), [("en-US", r"\d{1,2}:\d\d [AP]M", r"\d\d:\d\d"),
                                                       ("de-DE", r"\d\d:\d\d", r"\d{1,2}:\d\d\u202f[AP]M")])
def test_times_follow_the_browser_language_and_the_toggle_sticks(page_url, new_context, locale, clock, other, width):
    page = new_context(locale=locale, timezone_id="America/New_York",
                       viewport={"width": width, "height": 900}).new_page()
    page.goto(page_url)
    assert all(re.fullmatch(clock, text) for text in slot_texts(page))
    pressed = page.locator(".clock-form [aria-pressed=true]").inner_text()
    assert pressed == ("12h" if locale == "en-US" else "24h")
    # Dates and weeks as the reader's country writes them, in their language.
    heading = page.locator("#slots-title").inner_text()
    columns = page.locator("table.month thead th").all_inner_texts()
    if locale == "en-US":
        assert re.fullmatch(r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}", heading) and columns[0] == "Su"
    else:
        assert re.fullmatch(r"[A-Z][a-z]+tag|Mittwoch|Samstag|Sonntag", heading.split(",")[0])
        assert re.fullmatch(r"[A-Z]\w+, \d{1,2}\. [A-Z]\w+", heading) and columns[0] == "Mo."
    screenshot(page, f"booking-{locale}-{width}")

    page.get_by_role("button", name="24h" if locale == "en-US" else "12h").click()
    page.locator(f'.clock-form [aria-pressed=true]:text-is("{"24h" if locale == "en-US" else "12h"}")').wait_for()
    assert all(re.fullmatch(other, text) for text in slot_texts(page))
    page.locator(".clock-form button:focus").wait_for()  # focus stays on the toggle in the new calendar
    assert page.evaluate("document.activeElement.textContent") == ("24h" if locale == "en-US" else "12h")
    page.reload()  # the choice is kept, for this host's pages and any other's
    assert all(re.fullmatch(other, text) for text in slot_texts(page))
    page.locator(".slot-list a.slot").last.click()  # the last of the day: not running out while we click
    zone_words = r" \(New York time\)" if locale == "en-US" else r" \(Ortszeit New York\)"
    assert re.search(other + zone_words, page.locator("article").inner_text())


@pytest.mark.parametrize("width", WIDTHS)
def test_a_booking_by_keyboard_alone_takes_at_most_15_presses(page_url, new_context, width):
    page = new_context(timezone_id="Europe/Berlin", viewport={"width": width, "height": 900}).new_page()
    page.goto(page_url)
    slot_texts(page)
    presses = []

    def press(key: str) -> None:
        presses.append(key)
        page.keyboard.press(key)

    while not page.evaluate("document.activeElement.matches('.day[data-date]')"):
        press("Tab")
        assert len(presses) < 10, "the calendar is not reached by Tab"
    first_day = page.evaluate("document.activeElement.dataset.date")
    assert page.evaluate("document.activeElement.classList.contains('selected')")  # the day shown is where Tab lands
    # Arrow keys walk the month; the next free day is picked with Enter.
    press("ArrowRight")
    while not page.evaluate("document.activeElement.matches('a.day')"):
        press("ArrowRight")
    picked = page.evaluate("document.activeElement.dataset.date")
    assert picked > first_day
    press("Enter")
    page.locator(".slot:focus").wait_for()  # focus went to the day's times
    count = page.locator(".slot-list a.slot").count()
    status = page.locator("#scheduler-status")
    assert status.get_attribute("aria-live") == "polite"
    assert re.fullmatch(rf"{count} times? available on \w+, \d+ \w+", status.inner_text())
    press("Enter")
    page.wait_for_url(re.compile("/book"))
    page.keyboard.type("Bea Invitee")  # the name field has focus
    press("Tab")
    page.keyboard.type("bea@example.com")
    press("Enter")
    page.wait_for_url(re.compile(r"/booking/[^/]+\?booked=1"))
    assert page.locator("h1").inner_text() == "You are scheduled"
    assert len(presses) <= 15, presses
    screenshot(page, f"booking-confirmation-{width}")


def test_arrow_keys_move_by_day_and_week_and_page_keys_by_month(page_url, new_context):
    page = new_context(timezone_id="Europe/London").new_page()
    page.goto(page_url + "?tz=Europe/London")
    slot_texts(page)
    day = page.locator("a.day.selected")
    day.focus()
    start = day.get_attribute("data-date")
    page.keyboard.press("ArrowDown")
    week_later = page.evaluate("document.activeElement.dataset.date")
    assert (datetime.fromisoformat(week_later) - datetime.fromisoformat(start)).days == 7
    assert page.locator('table.month [tabindex="0"]').count() == 1  # one tab stop for the whole month
    month = page.locator("#month-title").inner_text()
    page.keyboard.press("PageDown")
    page.locator("#month-title").filter(has_not_text=month).wait_for()
    page.locator("table.month .day:focus").wait_for()  # focus is back in the (new) month
    assert re.fullmatch(r"\w+ \d{4}: \d+ days? with free times", page.locator("#scheduler-status").inner_text())


def test_the_zone_picker_searches_by_city_and_shows_offsets(page_url, new_context):
    page = new_context(timezone_id="America/New_York").new_page()
    # The browser's clock at 06:05 in Kolkata: an hour of one digit, written as every clock is ("06:05").
    page.clock.set_fixed_time(datetime(2026, 12, 7, 0, 35, tzinfo=UTC))
    page.goto(page_url)
    slot_texts(page)
    search = page.get_by_role("combobox", name="Time zone")
    assert re.fullmatch(r"New York \(UTC−[45]\)", search.input_value())  # −4 in summer
    assert "It is" in page.locator("#tz-now").inner_text()  # the time there now
    search.fill("Mumbai")
    choices = page.get_by_role("listbox")
    first = choices.get_by_role("option").first
    assert re.fullmatch(r"Kolkata India · UTC\+5:30 · 06:05 now", first.inner_text().replace("\n", " "))
    search.fill("UTC+9")
    choices.get_by_role("option", name=re.compile("^Tokyo")).wait_for()
    assert choices.get_by_role("option").first.inner_text().startswith("Tokyo")
    assert search.get_attribute("aria-expanded") == "true"
    screenshot(page, "booking-zone-search")
    page.keyboard.press("ArrowDown")  # Seoul, then back to Tokyo
    assert "Seoul" in page.locator("#" + search.get_attribute("aria-activedescendant")).inner_text()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.locator('#scheduler[data-zone="Asia/Tokyo"] #tz-search').wait_for()
    assert "tz=Asia%2FTokyo" in page.url
    assert page.get_by_role("combobox", name="Time zone").input_value() == "Tokyo (UTC+9)"
    assert page.evaluate("document.activeElement.id") == "tz-search"
    screenshot(page, "booking-zone-tokyo")

    # Back another day, on another page of the host's: Tokyo from the first request, no second load.
    later = new_context(timezone_id="America/New_York", storage_state=page.context.storage_state()).new_page()
    documents, swaps = [], []
    later.on("request", lambda r: (documents if r.resource_type == "document" else swaps).append(r.url))
    later.goto(page_url)
    assert later.locator("#scheduler").get_attribute("data-zone") == "Asia/Tokyo"
    assert documents == [page_url] and not [url for url in swaps if "tz=" in url]


def test_without_javascript_the_zone_list_names_cities_with_offsets(page_url, new_context):
    page = new_context(java_script_enabled=False, locale="en-US").new_page()
    page.goto(page_url)
    berlin = page.locator('#tz option[value="Europe/Berlin"]')
    hours = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).utcoffset()
    assert berlin.inner_text() == f"Berlin (UTC+{int(hours.total_seconds() // 3600)})"
    assert berlin.evaluate("o => o.parentElement.label") == "Europe"
    assert all(re.fullmatch(r"\d{1,2}:\d\d [AP]M", text) for text in slot_texts(page))
    page.get_by_role("button", name="24h").click()
    assert all(re.fullmatch(r"\d\d:\d\d", text) for text in slot_texts(page))
