"""A host's brand colour is what invitees see, in the light and the dark scheme, embedded or not."""
from __future__ import annotations

import pytest

from tests.helpers import add_event_type, add_user, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]  # pages, not storage


def css_rgb(color: str) -> str:
    return "rgb({}, {}, {})".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))


@pytest.mark.parametrize("brand", ["#7a1fa2", "#ffd400"])  # a dark and a pale colour
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("embed", [False, True], ids=["page", "embed"])
def test_free_days_and_times_carry_the_brand_colour(live_app, live_server, new_context, brand, scheme, embed):
    from linktime.accounts import looks

    with live_app.app_context():
        host = add_user("ada", timezone="Europe/London")
        add_event_type(host)
        looks.save_looks(host, color=brand, photo=None, remove_photo=False)
    page = new_context(color_scheme=scheme).new_page()
    page.goto(f"{live_server.url}/ada/intro-call{'?embed=1' if embed else ''}")
    day = page.locator("a.day.available").first
    day.wait_for()
    fill = looks._hex(looks.readable_on((255, 255, 255), looks._rgb(brand)))
    assert day.evaluate("e => getComputedStyle(e).backgroundColor") == css_rgb(fill)
    page_color = looks.LIGHT_PAGE if scheme == "light" else looks.DARK_PAGE
    text = looks._hex(looks.readable_on(page_color, looks._rgb(brand)))
    slot = page.locator(".slot-list a.slot").first
    assert slot.evaluate("e => getComputedStyle(e).color") == css_rgb(text)
    screenshot(page, f"brand-{brand[1:]}-{scheme}{'-embed' if embed else ''}")


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def rgb_of(css: str) -> tuple[int, ...]:
    return tuple(int(part) for part in css[css.index("(") + 1:css.index(")")].split(",")[:3])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_focused_time_has_a_solid_ring_that_stands_out(live_app, live_server, new_context, scheme):
    with live_app.app_context():
        add_event_type(add_user("ada", timezone="Europe/London"))
    page = new_context(color_scheme=scheme).new_page()
    page.goto(f"{live_server.url}/ada/intro-call")
    page.locator(".slot-list a.slot").first.wait_for()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.slot')"):
            break
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                         " return [s.outlineStyle, s.outlineWidth, s.outlineColor,"
                         " getComputedStyle(document.body).backgroundColor]; })()")
    style, width, color, background = ring
    assert style == "solid" and float(width.removesuffix("px")) >= 2
    assert "rgba" not in color  # opaque, not a faint tint
    lighter, darker = sorted((luminance(rgb_of(color)), luminance(rgb_of(background))), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3  # WCAG's contrast for a focus indicator
