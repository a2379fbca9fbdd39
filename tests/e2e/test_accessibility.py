"""axe-core, run inside Chromium on every page, light and dark, desktop and phone: no serious or
critical violation.

axe-core is vendored in tests/e2e/vendor (from the npm registry, with its licence) and injected
into the page under test; the page's own Content-Security-Policy is set aside for that context
only, since axe is not part of the page.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import add_event_type, add_user, connect_zoom, screenshot, sign_in_page, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage

PHOTO = bytes.fromhex(  # a 2×2 PNG
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001649444154789c63e4aa38c1"
    "c0c0c0c4c0c0c0c0c000000ee4014e459d15d90000000049454e44ae426082")
AXE = next((Path(__file__).parent / "vendor").glob("axe-core-*.min.js"))


def serious_violations(page) -> list[str]:
    """What axe finds serious or critical on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")
    return [f"{page.url}: {line}" for line in found]


@pytest.fixture
def pages(zoom_app, live_server_for):
    """A host with Zoom connected, an event type and a booking: the addresses of every kind of page."""
    from linktime.accounts import looks
    from linktime.bookings import service
    from linktime.extensions import db

    live_server = live_server_for(zoom_app)
    with zoom_app.app_context():
        host = add_user("ada", timezone="Europe/London")
        questions = [{"id": "a1", "label": "Company", "kind": "short", "required": True, "options": []},
                     {"id": "b2", "label": "Topic", "kind": "choice", "required": False, "options": ["Sales", "Help"]},
                     {"id": "c3", "label": "I agree", "kind": "checkbox", "required": True, "options": []}]
        event_type = add_event_type(host, location="zoom", questions=questions, max_guests=2)
        from linktime.event_types import schedules

        schedule = schedules.create_schedule(host, "Office hours")
        schedule.holiday_country = "GB"
        schedule.date_overrides = {"2027-01-04": [], "2027-01-05": [["10:00", "12:00"]]}
        db.session.commit()
        # A pale brand colour and a photo: the host's own look must stay readable too.
        looks.save_looks(host, color="#ffd400", photo=looks.prepare_photo(PHOTO), remove_photo=False)
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=8)
        while start.weekday() >= 5 or not 9 <= start.hour < 16:
            start += timedelta(hours=1)
        booking = service.book_slot(event_type, start, service.Invitee(
            name="Bea Invitee", email="bea@example.com", timezone="Europe/Berlin", notes="About the plan",
            answers=({"question": "Company", "kind": "short", "answer": "Acme"},), guests=("cy@example.com",)))
        token, booking_id, event_type_id = booking.manage_token, booking.id, event_type.id
        schedule_id = schedule.id
        taken, free = start.isoformat(), (start + timedelta(minutes=30)).isoformat()
        db.session.remove()
    client = signed_in(zoom_app)
    assert connect_zoom(client).location == "/settings/integrations"
    assert "status-connected" in client.get("/settings/integrations").get_data(as_text=True)
    base = live_server.url
    public = ["/", "/login", "/privacy", "/ada", "/ada/intro-call",
              *(f"/ada/intro-call/book?start={slot.replace('+', '%2B')}" for slot in (free, taken)),
              f"/booking/{token}", f"/booking/{token}/cancel", "/api/v1/docs", "/no-such-page"]
    host_pages = ["/bookings", "/bookings?tab=cancelled", f"/bookings/{booking_id}", f"/bookings/{booking_id}/cancel",
                  f"/bookings/{booking_id}/reschedule", "/event-types",
                  "/event-types/new", f"/event-types/{event_type_id}/edit", "/settings/profile",
                  "/settings/integrations", "/team", "/admin/mail", "/admin/jobs",
                  "/bookings?q=bea&from=2026-01-01", "/bookings?q=nobody", "/settings/availability",
                  f"/settings/availability/{schedule_id}", "/settings/webhooks", "/settings/api-keys",
                  f"/bookings/{booking_id}/reschedule?start={free.replace('+', '%2B')}"]
    return base, public, host_pages, zoom_app


# Each scheme once and each width once: contrast follows the scheme, layout the width; a pale and a
# dark brand colour (the host's own look must stay readable either way).
@pytest.mark.parametrize("scheme, width, brand", [pytest.param("light", 1280, "#ffd400", id="light-desktop-pale"),
                                                  pytest.param("dark", 390, "#ffd400", id="dark-phone-pale"),
                                                  pytest.param("light", 390, "#2b0a3d", id="light-phone-dark"),
                                                  pytest.param("dark", 1280, "#2b0a3d", id="dark-desktop-dark")])
def test_no_serious_violations_on_any_page(pages, browser, scheme, width, brand):
    from linktime.accounts import looks
    from linktime.extensions import db
    from linktime.models import User

    base, public, host_pages, app = pages
    with app.app_context():
        looks.save_looks(db.session.scalar(db.select(User)), color=brand, photo=None, remove_photo=False)
    context = browser.new_context(bypass_csp=True, color_scheme=scheme, locale="en-US",
                                  viewport={"width": width, "height": 900}, timezone_id="America/New_York")
    try:
        page = context.new_page()
        found = []
        for path in public:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            found += serious_violations(page)
        sign_in_page(page, base)
        for path in host_pages:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            found += serious_violations(page)
        screenshot(page, f"axe-last-page-{scheme}-{width}")
    finally:
        context.close()
    assert found == [], "\n".join(found)


def test_axe_finds_what_it_is_meant_to(browser, live_server):
    """The check itself can fail: a page with an unlabelled field and faint text is caught."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.evaluate("""() => {
            document.querySelector("label[for=email]").remove();
            document.querySelector("h1").style.color = "#eee";
        }""")
        found = "\n".join(serious_violations(page))
    finally:
        context.close()
    assert "label:" in found and "color-contrast:" in found


# Every language once, each in a scheme and with a brand colour (their words change lengths and
# scripts; the colours are the host's).
@pytest.mark.parametrize("language, scheme, brand", [("de", "light", "#ffd400"), ("fr", "dark", "#2b0a3d"),
                                                     ("es", "light", "#2b0a3d"), ("pt", "dark", "#ffd400"),
                                                     ("ja", "light", "#2b0a3d"), ("ja", "dark", "#ffd400")])
def test_no_serious_violations_on_any_page_in_any_language(pages, browser, language, scheme, brand):
    from linktime.accounts import looks
    from linktime.extensions import db
    from linktime.models import User

    base, public, host_pages, app = pages
    with app.app_context():
        host = db.session.scalar(db.select(User))
        looks.save_looks(host, color=brand, photo=None, remove_photo=False)
        host.language = language  # the host's own pages, in their profile's language
        db.session.commit()
    context = browser.new_context(bypass_csp=True, color_scheme=scheme, locale=language,
                                  viewport={"width": 390, "height": 900}, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(f"{base}/ada/intro-call?lang={language}")  # the switcher's choice, kept for the rest
        found = []
        for path in public:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language  # sign-in too: the browser's
            found += serious_violations(page)
        sign_in_page(page, base)
        # The host's pages whose words differ most between languages (every page's words are
        # checked in tests/web/test_host_languages.py; their layout in every scheme above).
        for path in [p for p in host_pages if p.startswith(("/bookings/", "/event-types/", "/settings/"))][:6]:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language
            found += serious_violations(page)
    finally:
        context.close()
    assert found == [], "\n".join(found)
