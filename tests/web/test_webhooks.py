"""Webhooks as a receiver meets them: a real HTTP server on loopback gets each event once, signed,
in order per booking; failures, a hanging receiver and a cancel during a pending delivery are
forced, never waited for; a webhook that keeps failing is turned off and its owner told."""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch, wait_for_background
from linktime.models import DeliveryStatus, Webhook, WebhookDelivery
from tests.helpers import (
    WebhookReceiver,
    add_event_type,
    add_user,
    book_form,
    close_app,
    connect_zoom,
    make_app,
    outbox_messages,
    signed_in,
)

WEDNESDAY_9 = "2026-11-25T14:00:00+00:00"  # 09:00 New York
THURSDAY_9 = "2026-11-26T14:00:00+00:00"
SECRET = "whsec_test-secret"


def from_linktime(secret: str, headers, body: bytes) -> bool:
    """The README's five lines."""
    signed = headers["X-LinkTime-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-LinkTime-Signature"])


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def hooked(tmp_path, receiver, clock):
    """Ada (admin) with an Intro Call and a webhook to the receiver for every event."""
    app = make_app(tmp_path, WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8", WEBHOOK_TIMEOUT=1)
    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada)
        hook = Webhook(user_id=ada.id, url=receiver.url, events=["booking.created", "booking.rescheduled",
                                                                 "booking.cancelled", "meeting.link_ready"])
        hook.secret = SECRET
        db.session.add(hook)
        db.session.commit()
    yield app
    close_app(app)


def run(app, clock, rounds: int = 1, step: timedelta = timedelta(minutes=2)) -> None:
    """Dispatcher ticks, the clock moved ``step`` before each (past any backoff so far)."""
    for _ in range(rounds):
        clock.shift(step)
        with app.app_context():
            dispatch()


def book(app) -> str:
    response = book_form(app.test_client(), "/ada/intro-call/book", WEDNESDAY_9, name="Bea Invitee",
                         email="bea@example.com", tz="Europe/Berlin")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.split("?")[0]


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_each_event_arrives_once_in_order_signed(hooked, receiver, clock):
    manage = book(hooked)
    client = hooked.test_client()
    assert client.post(f"{manage}/reschedule", data={"start": THURSDAY_9, "tz": "UTC"}).status_code == 303
    assert client.post(f"{manage}/cancel", data={"reason": "Ill"}).status_code == 303
    run(hooked, clock, rounds=3)
    assert receiver.events() == ["booking.created", "booking.rescheduled", "booking.cancelled"]
    ids = [r["headers"]["X-LinkTime-Delivery"] for r in receiver.received]
    assert len(set(ids)) == 3
    for request in receiver.received:
        headers = request["headers"]
        assert from_linktime(SECRET, headers, request["body"])
        assert not from_linktime("whsec_another", headers, request["body"])
        assert headers["X-LinkTime-Event"] == request["json"]["event"]
        assert headers["User-Agent"] == "LinkTime-Webhook/1.0"
        assert headers["X-LinkTime-Timestamp"] == request["json"]["timestamp"]
    created, moved, cancelled = (r["json"]["data"] for r in receiver.received)
    assert created["invitee"] == {"name": "Bea Invitee", "email": "bea@example.com", "timezone": "Europe/Berlin"}
    assert created["startTime"] == "2026-11-25T14:00:00Z" and created["status"] == "CONFIRMED"
    assert created["eventType"]["slug"] == "intro-call" and created["host"]["email"] == "ada@example.com"
    assert moved["previousStartTime"] == "2026-11-25T14:00:00Z" and moved["startTime"] == "2026-11-26T14:00:00Z"
    assert cancelled["status"] == "CANCELLED" and cancelled["cancelReason"] == "Ill"
    assert cancelled["cancelledBy"] == "invitee"
    run(hooked, clock, rounds=3)
    assert len(receiver.received) == 3  # nothing twice
    assert {d.status for d in deliveries(hooked)} == {DeliveryStatus.DELIVERED.value}


def test_a_receiver_failing_three_times_gets_the_event_once_more_then_no_more(hooked, receiver, clock):
    receiver.plan = [500, 503, 404]
    book(hooked)
    run(hooked, clock, rounds=8, step=timedelta(minutes=5))
    assert receiver.events() == ["booking.created"] * 4
    assert len({r["headers"]["X-LinkTime-Delivery"] for r in receiver.received}) == 1  # one event, four tries
    [delivery] = deliveries(hooked)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4 and delivery.response_code == 200
    run(hooked, clock, rounds=5, step=timedelta(hours=1))
    assert len(receiver.received) == 4


def test_a_hanging_receiver_is_cut_at_the_deadline_and_tried_again(hooked, receiver, clock):
    receiver.plan = ["hang"]
    book(hooked)  # its request sends the event once it has answered
    wait_for_background()
    [delivery] = deliveries(hooked)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "no answer within 1 s" in delivery.last_error
    receiver.release.set()
    run(hooked, clock, rounds=2)
    assert receiver.events() == ["booking.created", "booking.created"]
    assert deliveries(hooked)[0].status == DeliveryStatus.DELIVERED


def test_a_cancel_during_a_pending_created_delivery_is_delivered_after_it(hooked, receiver, clock):
    receiver.plan = [500]
    manage = book(hooked)
    wait_for_background()  # "created" was sent once, failed, and waits for its retry
    assert hooked.test_client().post(f"{manage}/cancel", data={"reason": ""}).status_code == 303
    created, cancelled = deliveries(hooked)
    assert created.status == cancelled.status == DeliveryStatus.PENDING
    with hooked.app_context():  # the cancel waits behind it: no job of its own yet
        from linktime.models import Job

        assert not [job for job in db.session.scalars(select(Job)) if job.payload.get("delivery_id") == cancelled.id]
    run(hooked, clock, rounds=4, step=timedelta(minutes=5))
    assert receiver.events() == ["booking.created", "booking.created", "booking.cancelled"]


def test_private_addresses_get_nothing_unless_the_operator_allows_them(tmp_path, receiver, clock):
    app = make_app(tmp_path)  # no WEBHOOK_ALLOWED_NETWORKS: public addresses only
    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada)
        hook = Webhook(user_id=ada.id, url=receiver.url, events=["booking.created"])
        hook.secret = SECRET
        db.session.add(hook)
        db.session.commit()
    page = signed_in(app).post("/settings/webhooks", data={"url": receiver.url, "events": ["booking.created"]})
    assert page.status_code == 422 and "is not a public address" in page.get_data(as_text=True)
    book(app)
    run(app, clock, rounds=2)
    assert receiver.received == []
    assert "not a public address" in deliveries(app)[0].last_error
    close_app(app)


def test_a_webhook_failing_for_days_is_turned_off_and_its_owner_told(hooked, receiver, clock):
    receiver.plan = [500] * 100
    book(hooked)
    run(hooked, clock, rounds=14, step=timedelta(hours=6))  # three days and a half of retries
    with hooked.app_context():
        hook = db.session.scalar(select(Webhook))
        assert not hook.enabled and "every delivery has failed for 3 days" in hook.disabled_reason
    assert deliveries(hooked)[0].status == DeliveryStatus.FAILED
    told = [m for m in outbox_messages(hooked) if m["To"] == "ada@example.com"
            and "webhook was turned off" in m["Subject"]]
    assert len(told) == 1
    tries = len(receiver.received)
    book_form(hooked.test_client(), "/ada/intro-call/book", THURSDAY_9, name="Cy", email="cy@example.com", tz="UTC")
    run(hooked, clock, rounds=2)
    assert len(receiver.received) == tries  # off: nothing more is sent


def test_send_again_and_a_test_event_from_the_settings_page(hooked, receiver, clock):
    book(hooked)
    run(hooked, clock)
    client = signed_in(hooked)
    [delivery] = deliveries(hooked)
    assert client.post(f"/settings/webhooks/1/deliveries/{delivery.id}/again").status_code == 303
    assert client.post("/settings/webhooks/1/test").status_code == 303
    run(hooked, clock, rounds=2)
    assert receiver.events()[:2] == ["booking.created", "booking.created"]
    assert receiver.received[0]["headers"]["X-LinkTime-Delivery"] == receiver.received[1]["headers"][
        "X-LinkTime-Delivery"]  # the same event, as the receiver drops repeats by
    assert receiver.events()[2] == "webhook.test"
    page = client.get("/settings/webhooks/1").get_data(as_text=True)
    assert "webhook.test" in page and "HTTP 200" in page


def test_the_secret_is_shown_once_and_rotating_it_changes_the_signature(hooked, receiver, clock):
    client = signed_in(hooked)
    made = client.post("/settings/webhooks", data={"url": receiver.url, "events": ["booking.cancelled"]})
    assert made.status_code == 200 and "whsec_" in made.get_data(as_text=True)
    assert "whsec_" not in client.get("/settings/webhooks/2").get_data(as_text=True)
    rotated = client.post("/settings/webhooks/1/rotate").get_data(as_text=True)
    new_secret = re.findall(r"whsec_[\w-]+", rotated)[0]
    assert new_secret != SECRET
    book(hooked)
    run(hooked, clock)
    request = receiver.received[0]
    assert from_linktime(new_secret, request["headers"], request["body"])
    assert not from_linktime(SECRET, request["headers"], request["body"])


def test_another_host_cannot_see_or_touch_a_webhook(hooked, receiver):
    with hooked.app_context():
        add_user("bob", admin=False)
    bob = signed_in(hooked, "bob@example.com")
    for path in ("/settings/webhooks/1", "/settings/webhooks/1/test", "/settings/webhooks/1/rotate",
                 "/settings/webhooks/1/delete"):
        response = bob.get(path) if path.endswith("/1") else bob.post(path)
        assert response.status_code == 404, path
    assert receiver.url not in bob.get("/settings/webhooks").get_data(as_text=True)


def test_a_meeting_link_made_after_the_booking_is_told_with_its_link(tmp_path, receiver, sandbox, clock):
    app = make_app(tmp_path, WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8", ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2,
                   MEETING_WAIT_SECONDS=0)
    with app.app_context():
        ada = add_user("ada")
        add_event_type(ada, location="zoom")
        hook = Webhook(user_id=ada.id, url=receiver.url, events=["booking.created", "meeting.link_ready"])
        hook.secret = SECRET
        db.session.add(hook)
        db.session.commit()
    connect_zoom(signed_in(app))
    book(app)
    run(app, clock, rounds=3)
    assert receiver.events() == ["booking.created", "meeting.link_ready"]
    created, ready = (r["json"]["data"] for r in receiver.received)
    join_url = next(iter(sandbox.state.meetings.values()))["join_url"]
    assert created["meetingLink"] is None and ready["meetingLink"] == join_url
    assert created["id"] == ready["id"]
    close_app(app)


def test_an_admins_whole_team_webhook_hears_of_every_hosts_bookings(hooked, receiver, clock):
    with hooked.app_context():
        bob = add_user("bob", admin=False)
        add_event_type(bob)
        db.session.execute(Webhook.__table__.update().values(whole_team=True))
        db.session.commit()
    answer = book_form(hooked.test_client(), "/bob/intro-call/book", WEDNESDAY_9, name="Cy", email="cy@example.com",
                       tz="UTC")
    assert answer.status_code == 303
    run(hooked, clock)
    assert receiver.events() == ["booking.created"]
    assert receiver.received[0]["json"]["data"]["host"]["email"] == "bob@example.com"


def test_a_runner_whose_lease_lapsed_sends_nothing(hooked, receiver, clock, monkeypatch):
    """A runner stalled past its lease (another runner took the delivery meanwhile) makes no request:
    the lease is renewed, or found lost, right before the call."""
    from linktime.jobs import sync_lease
    from linktime.webhooks import delivery as sending

    with hooked.app_context():
        from linktime.jobs.runner import wait_for_background

        receiver.plan = [500]
        book(hooked)
        wait_for_background()  # its first try failed: it waits for a retry
        [waiting] = deliveries(hooked)
        stalled = sync_lease.take(WebhookDelivery, waiting.id)
        took_over = []

        def fence(model, row_id, token):  # the stall: another runner takes the delivery meanwhile
            db.session.execute(WebhookDelivery.__table__.update().values(sync_token="another", sync_claimed_until=None))
            db.session.commit()
            took_over.append(token)
            return real_fence(model, row_id, token)

        real_fence = sync_lease.fence
        monkeypatch.setattr(sync_lease, "fence", fence)
        with pytest.raises(sync_lease.LeaseLost):
            sending._attempt(waiting.id, stalled)
    assert took_over and len(receiver.received) == 1  # only the first, failed try
