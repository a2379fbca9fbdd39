"""Token refresh against recorded Zoom answers (responses): single flight, across threads and processes."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import select, update

from linktime.conferencing.zoom import service
from linktime.conferencing.zoom.client import SCOPES, ZoomGrantError
from linktime.extensions import db
from linktime.models import ZoomConnection
from tests.helpers import add_user, close_app, make_app

TOKEN_URL = "https://zoom.test/oauth/token"
MEETINGS_URL = "https://api.zoom.test/v2/users/me/meetings"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, ZOOM_CLIENT_ID="cid", ZOOM_CLIENT_SECRET="secret",
                   ZOOM_OAUTH_URL="https://zoom.test", ZOOM_API_URL="https://api.zoom.test/v2")
    yield app
    close_app(app)


@pytest.fixture
def connection_id(app):
    with app.app_context():
        user = add_user("ada")
        connection = ZoomConnection(user_id=user.id, connected_by_id=user.id, zoom_user_id="z1", email="a@zoom.test",
                                    expires_at=datetime.now(UTC) - timedelta(minutes=5), scopes=" ".join(SCOPES))
        connection.access_token, connection.refresh_token = "expired-access", "refresh-1"
        db.session.add(connection)
        db.session.commit()
        return connection.id


def create_in_threads(app, connection_id, count=10):
    barrier, results, errors = threading.Barrier(count), [], []

    def work():
        with app.app_context():
            barrier.wait()
            try:
                results.append(service.call_zoom(connection_id, lambda api: api.create_meeting({"topic": "x"})))
            except Exception as exc:  # noqa: BLE001 - handed to the main thread, which re-raises it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(count)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    return results, errors


@responses.activate
def test_ten_concurrent_calls_with_an_expired_token_make_one_refresh(app, connection_id):
    responses.post(TOKEN_URL, json={"access_token": "fresh", "refresh_token": "refresh-2", "expires_in": 3599,
                                    "scope": " ".join(SCOPES)})
    responses.post(MEETINGS_URL, status=201, json={"id": 1, "join_url": "https://zoom.test/j/1", "password": "p"})
    results, errors = create_in_threads(app, connection_id)
    assert errors == [] and len(results) == 10
    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 1
    meeting_calls = [c for c in responses.calls if c.request.url == MEETINGS_URL]
    assert {c.request.headers["Authorization"] for c in meeting_calls} == {"Bearer fresh"}
    with app.app_context():
        connection = db.session.get(ZoomConnection, connection_id)
        assert (connection.refresh_token, connection.token_version) == ("refresh-2", 1)


@responses.activate
def test_a_refresh_claimed_by_another_process_is_waited_for_not_repeated(app, connection_id):
    """Another worker holds the claim: we wait for its new token instead of burning ours."""
    with app.app_context():
        db.session.execute(
            update(ZoomConnection).values(refresh_claimed_until=datetime.now(UTC) + timedelta(seconds=30))
        )
        db.session.commit()

    def other_process_finishes():
        time.sleep(0.5)
        with app.app_context():
            connection = db.session.get(ZoomConnection, connection_id)
            connection.access_token, connection.refresh_token = "from-other-worker", "refresh-2"
            connection.expires_at = datetime.now(UTC) + timedelta(hours=1)
            connection.token_version += 1
            connection.refresh_claimed_until = None
            db.session.commit()
            db.session.remove()

    responses.post(MEETINGS_URL, status=201, json={"id": 1, "join_url": "https://zoom.test/j/1", "password": "p"})
    threading.Thread(target=other_process_finishes).start()
    with app.app_context():
        service.call_zoom(connection_id, lambda api: api.create_meeting({}))
    assert [c.request.url for c in responses.calls] == [MEETINGS_URL]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer from-other-worker"


@pytest.mark.parametrize("body", [{"reason": "Invalid Token!", "error": "invalid_grant"},
                                  {"reason": "Invalid Token!", "error": "invalid_request"}])
@responses.activate
def test_a_refused_refresh_marks_the_connection_and_stops_trying(app, connection_id, body):
    responses.post(TOKEN_URL, status=400, json=body)
    results, errors = create_in_threads(app, connection_id, count=3)
    assert results == [] and all(isinstance(e, ZoomGrantError) for e in errors)
    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 1
    with app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        assert connection.needs_attention and "Invalid Token!" in connection.attention_reason


@responses.activate
def test_a_token_valid_for_more_than_a_minute_is_used_as_is(app, connection_id):
    with app.app_context():
        db.session.execute(update(ZoomConnection).values(expires_at=datetime.now(UTC) + timedelta(minutes=2)))
        db.session.commit()
    responses.post(MEETINGS_URL, status=201, json={"id": 1, "join_url": "https://zoom.test/j/1", "password": "p"})
    with app.app_context():
        service.call_zoom(connection_id, lambda api: api.create_meeting({}))
    assert [c.request.url for c in responses.calls] == [MEETINGS_URL]
