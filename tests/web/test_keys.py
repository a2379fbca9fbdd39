"""Keys: rotation re-encrypts everything; a missing key is a clear message, not a crash."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from linktime import create_app
from linktime.crypto import EncryptionConfigError, KeyRing, generate_key, keyring
from linktime.extensions import db
from linktime.models import Meeting, ZoomConnection
from tests.helpers import add_event_type, add_user, connect_zoom

BOOK = dict(name="Bea", email="bea@example.com", start="2026-11-24T14:00:00+00:00", tz="UTC", key="k")


@pytest.fixture
def booked(zoom_app, zoom_client):
    from datetime import UTC, datetime

    import time_machine

    with time_machine.travel(datetime(2026, 11, 23, 6, tzinfo=UTC), tick=True):
        with zoom_app.app_context():
            add_event_type(add_user("ada"), location="zoom")
        zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
        connect_zoom(zoom_client)
        manage = zoom_client.post("/ada/intro-call/book", data=BOOK).location.split("?")[0]
        yield manage


def test_rotate_keys_with_a_new_key_re_encrypts_every_secret(zoom_app, zoom_client, booked):
    with zoom_app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        meeting = db.session.scalar(select(Meeting))
        before = (connection.access_token, connection.refresh_token, meeting.join_url, meeting.password)
        old_blob = connection.access_token_enc
    key_file = f"{zoom_app.instance_path}/encryption_keys"
    zoom_app.config["ENCRYPTION_KEYS_FILE"] = key_file
    result = zoom_app.test_cli_runner().invoke(args=["rotate-keys", "--new-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 4 value(s)" in result.output
    keys = Path(key_file).read_text().split(",")
    assert len(keys) == 2
    with zoom_app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        meeting = db.session.scalar(select(Meeting))
        assert connection.access_token_enc != old_blob
        assert (connection.access_token, connection.refresh_token, meeting.join_url, meeting.password) == before
        ring = zoom_app.extensions["linktime.keyring"]
        assert ring.is_current(connection.access_token_enc) and ring.is_current(meeting.join_url_enc)


def test_rotate_keys_from_the_environment_explains_what_to_do(zoom_app):
    zoom_app.config.pop("ENCRYPTION_KEYS_FILE", None)
    result = zoom_app.test_cli_runner().invoke(args=["rotate-keys", "--new-key"])
    assert result.exit_code != 0 and "Put this new key first in ENCRYPTION_KEYS" in result.output


def test_a_malformed_key_stops_the_start_with_a_clear_message(tmp_path):
    with pytest.raises(EncryptionConfigError, match="key 1 is not base64"):
        create_app({"SECRET_KEY": "x", "ENCRYPTION_KEYS": "oops!", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                   instance_path=str(tmp_path))


def test_a_missing_key_degrades_to_needs_attention_not_a_crash(zoom_app, zoom_client, booked):
    zoom_app.extensions["linktime.keyring"] = KeyRing.from_config(generate_key())
    page = zoom_client.get(booked)
    assert page.status_code == 200 and "no video link" in page.get_data(as_text=True)
    dashboard = zoom_client.get("/bookings")
    assert dashboard.status_code == 200
    from datetime import UTC, datetime

    import time_machine

    with time_machine.travel(datetime(2026, 11, 23, 6, tzinfo=UTC), tick=True):
        zoom_client.post("/ada/intro-call/book", data={**BOOK, "start": "2026-11-25T14:00:00+00:00", "key": "k2",
                                                       "email": "c@example.com"})
    card = zoom_client.get("/settings/integrations").get_data(as_text=True)
    assert "Needs attention" in card and "cannot decrypt" in card


@pytest.fixture
def two_processes(tmp_path, sandbox):
    """A worker and an operator's CLI on one instance folder, with the generated key file."""
    from tests.helpers import close_app, make_app

    options = dict(ENCRYPTION_KEYS=None, ZOOM_SANDBOX_URL=sandbox.url, ZOOM_TIMEOUT=2)
    worker = make_app(tmp_path, **options)
    operator = create_app({**worker.config, "ENCRYPTION_KEYS": None}, instance_path=worker.instance_path)
    assert worker.config["ENCRYPTION_KEYS_FILE"] == operator.config["ENCRYPTION_KEYS_FILE"]
    with worker.app_context():
        add_user("ada")
    client = worker.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    yield worker, operator, client
    close_app(worker)
    close_app(operator)


def test_a_running_worker_picks_up_rotated_keys_without_a_restart(two_processes):
    worker, operator, _ = two_processes
    result = operator.test_cli_runner().invoke(args=["rotate-keys", "--new-key"])
    assert result.exit_code == 0, result.output
    with worker.app_context():  # the same process as before: no restart
        connection = db.session.scalar(select(ZoomConnection))
        ring = keyring()
        assert ring.is_current(connection.access_token_enc) and connection.access_token
        connection.access_token = "written-after-rotation"
        db.session.commit()
        assert ring.is_current(db.session.scalar(select(ZoomConnection)).access_token_enc)


def test_needs_attention_from_a_missing_key_recovers_when_the_key_is_back(two_processes):
    from pathlib import Path

    from linktime.conferencing.zoom import service

    worker, _, client = two_processes
    key_file = Path(worker.config["ENCRYPTION_KEYS_FILE"])
    kept = key_file.read_text()
    key_file.write_text(generate_key())  # the key the tokens were stored with goes missing
    with worker.app_context(), pytest.raises(service.ZoomGrantError):
        service.access_token(db.session.scalar(select(ZoomConnection.id)))
    assert "Needs attention" in client.get("/settings/integrations").get_data(as_text=True)
    key_file.write_text(kept)  # restored
    page = client.get("/settings/integrations").get_data(as_text=True)
    assert "Needs attention" not in page and "Connected" in page
    with worker.app_context():
        assert service.access_token(db.session.scalar(select(ZoomConnection.id)))[0]


def test_rotation_never_puts_back_a_token_refreshed_meanwhile(two_processes):
    """A refresh lands between rotate-keys reading a token and writing it back (forced by a hook)."""
    from linktime.crypto import KeyRing as Ring

    worker, operator, _ = two_processes
    original_decrypt, refreshed = Ring.decrypt, []

    def decrypt_then_refresh(ring, blob, context):
        plain = original_decrypt(ring, blob, context)
        if "refresh_token_enc" in context and not refreshed:
            with worker.app_context():  # the worker renews the token right now
                connection = db.session.scalar(select(ZoomConnection))
                connection.refresh_token, connection.token_version = (
                    "renewed-refresh-token",
                    connection.token_version + 1,
                )
                db.session.commit()
            refreshed.append(True)
        return plain

    Ring.decrypt = decrypt_then_refresh
    try:
        result = operator.test_cli_runner().invoke(args=["rotate-keys", "--new-key"])
    finally:
        Ring.decrypt = original_decrypt
    assert result.exit_code == 0, result.output
    assert refreshed
    with operator.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        assert connection.refresh_token == "renewed-refresh-token"
        assert keyring().is_current(connection.refresh_token_enc)
