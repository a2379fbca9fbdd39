"""The booking page on the host's own website, served from another site: inline and as a pop-up."""
from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.helpers import add_event_type, add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_site(tmp_path):
    """A plain static web server for the host's website, on another site (localhost, not 127.0.0.1)."""
    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_visitor_books_inside_the_hosts_website_inline_and_in_a_pop_up(live_app, live_server, new_context,
                                                                          other_site, browser):
    folder, site = other_site
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    host = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_page(host, live_server.url)
    host.goto(f"{live_server.url}/event-types")
    host.get_by_text("Embed on your website").click()
    inline = host.get_by_label("Inline, in the page").input_value()
    popup = host.get_by_label("Pop-up, from a link or button").input_value()
    assert "?embed=1" in inline and "data-linktime-popup" in popup
    # The host's page notes each height the frame is shown at (a visitor sees a jump as two).
    recorder = """<script>
      window.shownHeights = [];
      new MutationObserver(function () {
        var frame = document.querySelector("iframe[data-linktime]");
        if (frame && frame.style.opacity !== "0") {
          var height = frame.getBoundingClientRect().height;
          if (window.shownHeights[window.shownHeights.length - 1] !== height) window.shownHeights.push(height);
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["style"] });
    </script>"""
    (folder / "index.html").write_text(
        f"<!doctype html><title>Ada's site</title><h1>Ada's site</h1>\n{popup}\n{recorder}\n{inline}"
    )
    plain = f'<iframe name="plain" src="{live_server.url}/ada/intro-call" title="not embeddable"></iframe>'
    (folder / "plain.html").write_text(f"<!doctype html><title>Framing</title>{plain}")

    for turn, width in enumerate((1280, 390)):
        visitor = new_context(viewport={"width": width, "height": 900}, timezone_id="Europe/Berlin").new_page()
        visitor.goto(f"{site}/index.html")
        frame = visitor.frame_locator("iframe[data-linktime]")
        frame.locator(".slot-list a.slot").first.wait_for()
        visitor.wait_for_function("window.shownHeights.length > 0")
        first_shown = visitor.evaluate("window.shownHeights[0]")
        assert first_shown != 760 and abs(first_shown - frame.locator("body").evaluate(
            "b => b.getBoundingClientRect().height")) < 60  # first shown at its own height, not 760 px then more
        frame.locator("a.day.available:not(.selected)").first.click()  # tomorrow or later: no time runs out
        frame.locator(".slot:focus").wait_for()
        assert frame.locator("header").count() == 0  # no LinkTime menu or footer inside someone's site
        frame_element = visitor.locator("iframe[data-linktime]")
        frame.locator(".slot-list a.slot").nth(turn).click()  # each visitor a time of their own
        frame.get_by_label("Your name").fill(f"Bea {width}")
        frame.get_by_label("Email").fill(f"bea{width}@example.com")
        frame.get_by_role("button", name="Confirm booking").click()
        frame.locator("h1", has_text="You are scheduled").wait_for()  # booked, without a cookie in the frame
        assert frame.locator("h1").inner_text() == "You are scheduled"
        height = frame_element.bounding_box()["height"]
        assert height != 760 and abs(height - frame.locator("body").evaluate(
            "b => b.getBoundingClientRect().height")) < 60  # the frame fits the page in it
        screenshot(visitor, f"embed-inline-{width}")

        # The pop-up opens over the page and closes with Escape, focus back on the link.
        screenshot(visitor, f"embed-before-popup-{width}")
        visitor.locator("a[data-linktime-popup]").click()
        dialog = visitor.get_by_role("dialog", name=re.compile("Book Intro Call"))
        dialog.wait_for()
        inside = visitor.frame_locator("[data-linktime-overlay] iframe")
        inside.locator(".slot-list a.slot").first.wait_for()
        screenshot(visitor, f"embed-popup-{width}")
        close = visitor.get_by_role("button", name="Close").bounding_box()
        page_box = visitor.locator("[data-linktime-overlay] iframe").bounding_box()
        assert close["y"] + close["height"] <= page_box["y"]  # the × covers nothing of the page
        if width == 390:
            assert page_box["width"] == 390  # a phone gets the whole width
        visitor.keyboard.press("Escape")
        assert dialog.count() == 0
        assert visitor.evaluate("document.activeElement.hasAttribute('data-linktime-popup')")
        # Escape also closes it after a click inside the page (the keys then go to the frame).
        visitor.locator("a[data-linktime-popup]").click()
        inside.locator("a.day.available:not(.selected)").first.click()
        inside.locator(".slot:focus").wait_for()
        # The key's press closes the frame that has it: only press it down there (Playwright would
        # wait for the key's release in a frame that is gone), and release it on the page.
        visitor.keyboard.down("Escape")
        expect(visitor.locator("[data-linktime-overlay]")).to_have_count(0)
        visitor.keyboard.up("Escape")
        assert visitor.evaluate("document.activeElement.hasAttribute('data-linktime-popup')")

    # The same page without ?embed=1 refuses to be framed (the browser says so: a context of its own).
    context = browser.new_context()
    try:
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text) if "frame-ancestors" in message.text else None)
        page.goto(f"{site}/plain.html")
        page.wait_for_load_state("load")
        expect(page.locator("iframe[name=plain]")).to_have_count(1)
        framed = page.frame(name="plain")  # the browser may have dropped it altogether
        assert framed is None or framed.locator(".slot-list").count() == 0
        assert refused
    finally:
        context.close()
