"""Zoom's deauthorization webhook: signed, fresh, well-formed — or rejected with nothing changed."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from linktime.extensions import db
from linktime.models import AuditEvent, ZoomConnection
from linktime.sandbox.zoom import sign
from tests.helpers import SANDBOX_WEBHOOK_SECRET, add_user, connect_zoom, make_app


@pytest.fixture
def connected(zoom_app, zoom_client, sandbox):
    with zoom_app.app_context():
        add_user("ada")
    zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(zoom_client)
    return sandbox.state.user("host@zoom-sandbox.test")["id"]


def post(client, event: dict | bytes, *, secret=SANDBOX_WEBHOOK_SECRET, timestamp=None, signature=None):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"x-zm-request-timestamp": timestamp,
               "x-zm-signature": signature or sign(secret, timestamp, body),
               "Content-Type": "application/json"}
    return client.post("/integrations/zoom/webhook", data=body, headers=headers)


def deauthorized(user_id: str) -> dict:
    return {"event": "app_deauthorized", "event_ts": 1, "payload": {
        "account_id": "acc", "user_id": user_id, "signature": "x", "deauthorization_time": "2026-11-21T00:00:00Z",
        "client_id": "linktime-sandbox"}}


def connections(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ZoomConnection.id)))


def test_valid_deauthorization_removes_the_connection_and_is_idempotent(zoom_app, zoom_client, connected):
    assert post(zoom_client, deauthorized(connected)).status_code == 200
    assert connections(zoom_app) == 0
    assert post(zoom_client, deauthorized(connected)).status_code == 200  # Zoom retries
    with zoom_app.app_context():
        assert "zoom.deauthorized" in set(db.session.scalars(select(AuditEvent.kind)))
    assert "Not connected" in zoom_client.get("/settings/integrations").get_data(as_text=True)


def test_the_sandbox_sends_a_deauthorization_the_app_accepts(zoom_app, connected, sandbox, live_server_for):
    import requests

    server = live_server_for(zoom_app)
    answer = requests.post(f"{sandbox.url}/sandbox/deauthorize", timeout=10, json={
        "email": "host@zoom-sandbox.test", "webhook_url": f"{server.url}/integrations/zoom/webhook"}).json()
    assert answer["status"] == 200
    assert connections(zoom_app) == 0


@pytest.mark.parametrize("tamper", ["wrong secret", "stale", "future", "no signature", "body changed"])
def test_bad_signatures_are_401_and_change_nothing(zoom_app, zoom_client, connected, tamper):
    event, kwargs = deauthorized(connected), {}
    if tamper == "wrong secret":
        kwargs["secret"] = "not-the-secret"
    elif tamper == "stale":
        kwargs["timestamp"] = str(int(time.time()) - 600)
    elif tamper == "future":
        kwargs["timestamp"] = str(int(time.time()) + 600)
    elif tamper == "no signature":
        kwargs["signature"] = "v0=" + "0" * 64
    else:
        ts = str(int(time.time()))
        kwargs["timestamp"], kwargs["signature"] = ts, sign(SANDBOX_WEBHOOK_SECRET, ts, b"{}")
    assert post(zoom_client, event, **kwargs).status_code == 401
    assert connections(zoom_app) == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", json.dumps({"event": "app_deauthorized", "payload": {}}).encode()]
)
def test_malformed_events_are_400_and_change_nothing(zoom_app, zoom_client, connected, body):
    assert post(zoom_client, body).status_code == 400
    assert connections(zoom_app) == 1


def test_url_validation_challenge(zoom_client):
    response = post(zoom_client, {"event": "endpoint.url_validation", "payload": {"plainToken": "abc123"}})
    expected = hmac.new(SANDBOX_WEBHOOK_SECRET.encode(), b"abc123", hashlib.sha256).hexdigest()
    assert response.get_json() == {"plainToken": "abc123", "encryptedToken": expected}


def test_without_a_secret_token_the_webhook_answers_503(tmp_path):
    app = make_app(tmp_path, ZOOM_CLIENT_ID="real-app", ZOOM_CLIENT_SECRET="s")
    assert app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN") is None
    response = app.test_client().post("/integrations/zoom/webhook", data=b"{}")
    assert response.status_code == 503


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"app_deauthorized"',
        b"42",
        b'{"event": "app_deauthorized", "payload": []}',
        b'{"event": ["x"]}',
        b'{"event": "app_deauthorized", "payload": {"user_id": {"a": 1}}}',
    ],
)
def test_a_payload_that_is_not_an_object_is_a_400(client, body):
    import time

    from linktime.sandbox.zoom import sign

    stamp = str(int(time.time()))
    response = client.post("/integrations/zoom/webhook", data=body, headers={
        "x-zm-request-timestamp": stamp, "x-zm-signature": sign(SANDBOX_WEBHOOK_SECRET, stamp, body),
        "Content-Type": "application/json"})
    assert response.status_code == 400
