"""A host sets up a webhook and an API key in the browser: the secret and the key are shown once,
a test event reaches the receiver and its answer shows in the log, and the key works."""
from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import WebhookReceiver, add_event_type, add_user, screenshot, sign_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.same_on_every_database]


def test_a_host_adds_a_webhook_sends_a_test_event_and_makes_an_api_key(live_app, live_server, new_context):
    live_app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    receiver = WebhookReceiver()
    try:
        with live_app.app_context():
            add_event_type(add_user("ada", timezone="Europe/London"))
        page = new_context(viewport={"width": 390, "height": 900}).new_page()
        sign_in_page(page, live_server.url)
        page.goto(f"{live_server.url}/settings/webhooks")
        page.get_by_label("Address (URL) that receives the events").fill(receiver.url)
        page.get_by_label("Meeting link ready (made after the booking)").uncheck()
        page.get_by_role("button", name="Add webhook").click()
        secret = page.get_by_role("textbox", name="Secret").input_value()
        assert re.fullmatch(r"whsec_[\w-]{40,}", secret)
        screenshot(page, "webhook-secret-shown-once")
        page.get_by_role("button", name="Send a test event").click()
        page.get_by_text("A test event is on its way").wait_for()
        for _ in range(50):  # the event goes out right after the answer: look again until it is logged
            page.reload()
            if page.get_by_text("Delivered").count():
                break
            page.wait_for_timeout(100)
        assert page.locator("table.deliveries").get_by_text("HTTP 200").is_visible()
        assert receiver.events() == ["webhook.test"]
        assert secret not in page.content()  # shown once only
        screenshot(page, "webhook-delivery-log")

        page.goto(f"{live_server.url}/settings/api-keys")
        page.get_by_label("Name").fill("CRM sync")
        page.get_by_role("button", name="Make a key").click()
        key = page.get_by_role("textbox", name="API key").input_value()
        assert key.startswith("lt_live_")
        screenshot(page, "api-key-shown-once")
        me = requests.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert me.status_code == 200 and me.json()["username"] == "ada"
        page.reload()
        assert key not in page.content() and "CRM sync" in page.content()
    finally:
        receiver.close()
