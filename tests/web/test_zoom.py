"""Zoom: connect, a meeting per booking, reschedule, cancel, disconnect, refresh, failures.

These tests talk to the Zoom sandbox over real HTTP, through the same client code as real Zoom.
"""
from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import time_machine
from sqlalchemy import func, select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import (
    AuditEvent,
    Booking,
    EventType,
    Job,
    Meeting,
    MeetingStatus,
    ZoomAuthorization,
    ZoomConnection,
)
from tests.helpers import MONDAY_MORNING as NOW
from tests.helpers import add_event_type, add_user, allow_on_zoom, connect_zoom

TUESDAY_9 = "2026-11-24T14:00:00+00:00"  # 09:00 New York


@pytest.fixture
def host(zoom_app, zoom_client, clock):
    """Ada, signed in (at the tests' fixed "now"), with a Zoom-located Intro Call."""
    with zoom_app.app_context():
        ada = add_user("ada")
        add_event_type(ada, location="zoom")
    zoom_client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    return zoom_client


def book(client, start=TUESDAY_9, *, key=None, email="bea@example.com", name="Bea"):
    response = client.post("/ada/intro-call/book", data=dict(
        name=name, email=email, notes="Agenda please", start=start, tz="Europe/Berlin", key=key or email + start))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.split("?")[0]


def sandbox_meetings(sandbox, *, live=True) -> list[dict]:
    return [m for m in sandbox.state.meetings.values() if not (live and m["deleted"])]


def token_requests(sandbox) -> int:
    return sum(1 for entry in sandbox.state.log if entry["path"] == "/oauth/token")


def test_connect_allow_shows_connected_with_the_email(host, zoom_app, sandbox):
    page = host.get("/settings/integrations").get_data(as_text=True)
    assert "Not connected" in page and "sandbox mode" in page
    response = connect_zoom(host, email="ada@zoom-sandbox.test")
    assert response.status_code == 302
    page = host.get(response.location).get_data(as_text=True)
    assert "Successfully connected to Zoom as ada@zoom-sandbox.test" in page
    assert "Connected" in page and "ada@zoom-sandbox.test" in page and "Disconnect" in page
    with zoom_app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        assert connection.email == "ada@zoom-sandbox.test" and connection.user_id is not None
        assert (
            connection.access_token_enc.startswith("lt1.")
            and connection.access_token not in connection.access_token_enc
        )
        assert db.session.scalar(select(func.count(ZoomAuthorization.id))) == 0
        kinds = list(db.session.scalars(select(AuditEvent.kind)))
        assert "zoom.connected" in kinds


def test_pending_between_redirect_and_callback(host, zoom_app):
    start = host.post("/integrations/zoom/connect", data={"workspace": "0"})
    assert start.status_code == 303 and "/oauth/authorize?" in start.location
    assert "code_challenge_method=S256" in start.location
    assert "Pending" in host.get("/settings/integrations").get_data(as_text=True)
    with zoom_app.app_context(), time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        # The pending attempt expires back to Not connected.
        assert "Not connected" in host.get("/settings/integrations").get_data(as_text=True)


def test_deny_says_so_and_stays_not_connected(host, zoom_app):
    response = connect_zoom(host, decision="deny")
    page = host.get(response.location).get_data(as_text=True)
    assert "access was not allowed" in page and "Not connected" in page
    with zoom_app.app_context():
        assert db.session.scalar(select(ZoomConnection)) is None


@pytest.mark.parametrize("mangle", ["missing", "other", "replayed"])
def test_bad_state_is_a_400_that_explains_and_stores_nothing(host, zoom_app, mangle):
    start = host.post("/integrations/zoom/connect", data={"workspace": "0"})
    back = allow_on_zoom(start.location).split("127.0.0.1:5000", 1)[1]
    if mangle == "missing":
        back = re.sub(r"[&?]state=[^&]*", "", back)
    elif mangle == "other":
        back = re.sub(r"state=[^&]*", "state=forged", back)
    else:
        assert host.get(back).status_code == 302  # first use connects
        with zoom_app.app_context():
            db.session.query(ZoomConnection).delete()
            db.session.commit()
    response = host.get(back)
    assert response.status_code == 400
    assert "Nothing was stored" in response.get_data(as_text=True)
    with zoom_app.app_context():
        assert db.session.scalar(select(ZoomConnection)) is None


def test_booking_gets_a_meeting_the_sandbox_knows_then_moves_and_is_deleted(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    manage = book(host)
    page = host.get(manage).get_data(as_text=True)
    [meeting] = sandbox_meetings(sandbox)
    assert meeting["join_url"] in page.replace("&amp;", "&")
    assert meeting["topic"] == "Intro Call with Bea" and meeting["start_time"] == "2026-11-24T14:00:00Z"
    assert meeting["settings"] == {"host_video": True, "participant_video": True, "waiting_room": False}
    assert meeting["agenda"].startswith("Agenda please\n\nBooked with LinkTime (ref ")
    token = manage.rsplit("/", 1)[1]

    host.post(f"/booking/{token}/reschedule", data={"start": "2026-11-25T15:00:00+00:00", "tz": "UTC"})
    [moved] = sandbox_meetings(sandbox)
    assert moved["id"] == meeting["id"] and moved["start_time"] == "2026-11-25T15:00:00Z"

    host.post(f"/booking/{token}/cancel", data={"reason": "sorry"})
    assert sandbox_meetings(sandbox) == [] and sandbox.state.meetings[meeting["id"]]["deleted"]
    with zoom_app.app_context():
        assert db.session.scalar(select(Meeting)).status == MeetingStatus.CANCELLED


def test_group_slot_attendees_share_one_meeting(host, zoom_app, sandbox, clock):
    with zoom_app.app_context():
        et = db.session.scalar(select(EventType))
        et.seats = 3
        db.session.commit()
    connect_zoom(host)
    first = host.get(book(host, email="a@example.com")).get_data(as_text=True)
    second = host.get(book(host, email="b@example.com")).get_data(as_text=True)
    [meeting] = sandbox_meetings(sandbox)
    assert meeting["join_url"] in first.replace("&amp;", "&") and meeting["join_url"] in second.replace("&amp;", "&")
    assert meeting["topic"] == "Intro Call (2 attendees)"


def test_an_attendee_moving_out_of_a_group_slot_gets_a_meeting_and_the_old_one_is_retitled(
        host, zoom_app, sandbox, clock):
    with zoom_app.app_context():
        db.session.scalar(select(EventType)).seats = 3
        db.session.commit()
    connect_zoom(host)
    book(host, email="a@example.com", name="Al")
    mover = book(host, email="b@example.com", name="Bo")
    host.post(
        f"/booking/{mover.rsplit('/', 1)[1]}/reschedule", data={"start": "2026-11-25T15:00:00+00:00", "tz": "UTC"}
    )
    meetings = sorted(sandbox_meetings(sandbox), key=lambda m: m["start_time"])
    assert [(m["start_time"], m["topic"]) for m in meetings] == [
        ("2026-11-24T14:00:00Z", "Intro Call with Al"), ("2026-11-25T15:00:00Z", "Intro Call with Bo")]


def test_host_cancel_deletes_the_meeting(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    book(host)
    with zoom_app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
    host.post(f"/bookings/{booking_id}/cancel", data={"reason": "ill"})
    assert sandbox_meetings(sandbox) == []


def test_reschedule_recreates_a_meeting_deleted_at_zoom(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    token = book(host).rsplit("/", 1)[1]
    [meeting] = sandbox_meetings(sandbox)
    meeting["deleted"] = True  # the host deleted it in Zoom
    host.post(f"/booking/{token}/reschedule", data={"start": "2026-11-25T15:00:00+00:00", "tz": "UTC"})
    [fresh] = sandbox_meetings(sandbox)
    assert fresh["id"] != meeting["id"] and fresh["start_time"] == "2026-11-25T15:00:00Z"
    assert fresh["join_url"] in host.get(f"/booking/{token}").get_data(as_text=True).replace("&amp;", "&")


def test_disconnect_deletes_tokens_revokes_and_keeps_existing_links(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    old = book(host)
    [meeting] = sandbox_meetings(sandbox)
    response = host.post("/integrations/zoom/disconnect", data={"workspace": "0"}, headers={"HX-Request": "true"})
    card = response.get_data(as_text=True)
    assert "Zoom is disconnected" in card and "Installed Apps" in card and "Not connected" in card
    with zoom_app.app_context():
        assert db.session.scalar(select(ZoomConnection)) is None
    assert sandbox.state.revoked == ["host@zoom-sandbox.test"]
    assert meeting["join_url"] in host.get(old).get_data(as_text=True).replace("&amp;", "&")
    assert not sandbox.state.meetings[meeting["id"]]["deleted"]
    # New bookings get no link; the event type warns; the booking page still works, and says so.
    assert "Zoom is not connected — new bookings get no video link" in host.get("/event-types").get_data(as_text=True)
    assert "the host will send you the link" in host.get("/ada/intro-call").get_data(as_text=True)
    new = host.get(book(host, start="2026-11-25T15:00:00+00:00", email="c@example.com")).get_data(as_text=True)
    assert "/j/" not in new and len(sandbox_meetings(sandbox)) == 1
    # Cancelling the old booking now leaves its meeting at Zoom alone (no access any more).
    host.post(f"/booking/{old.rsplit('/', 1)[1]}/cancel", data={})
    assert not sandbox.state.meetings[meeting["id"]]["deleted"]


def test_connecting_another_account_replaces_the_old_one(host, zoom_app, sandbox):
    connect_zoom(host, email="first@zoom-sandbox.test")
    connect_zoom(host, email="second@zoom-sandbox.test")
    with zoom_app.app_context():
        assert [c.email for c in db.session.scalars(select(ZoomConnection))] == ["second@zoom-sandbox.test"]
    assert "first@zoom-sandbox.test" in sandbox.state.revoked


def test_zoom_down_during_five_bookings_then_exactly_five_meetings(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    sandbox.state.faults.append(_fault("error", 1000))
    starts = [f"2026-11-24T{14 + n}:00:00+00:00" for n in range(5)]
    pages = [
        host.get(book(host, start=s, email=f"p{n}@example.com")).get_data(as_text=True) for n, s in enumerate(starts)
    ]
    assert all("Zoom link is being created" in page for page in pages)
    with zoom_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 5
        assert set(db.session.scalars(select(Meeting.status))) == {MeetingStatus.PENDING}
    assert sandbox_meetings(sandbox) == []
    sandbox.state.faults.clear()
    clock.shift(timedelta(hours=2))  # past every backoff
    with zoom_app.app_context():
        dispatch()
        dispatch()
        assert set(db.session.scalars(select(Meeting.status))) == {MeetingStatus.CREATED}
    assert len(sandbox_meetings(sandbox)) == 5
    assert {m["start_time"] for m in sandbox_meetings(sandbox)} == {s.replace("+00:00", "Z") for s in starts}


def _fault(kind, count, **kw):
    from linktime.sandbox.zoom import Fault

    return Fault(kind=kind, remaining=count, **kw)


@pytest.mark.parametrize("kind", ["rate_limit", "garbage", "hang"])
def test_other_failures_keep_the_booking_and_retry(host, zoom_app, sandbox, clock, kind):
    connect_zoom(host)
    sandbox.state.faults.append(_fault(kind, 1, status=502, seconds=3))
    page = host.get(book(host)).get_data(as_text=True)
    assert "Zoom link is being created" in page
    with zoom_app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "meeting.sync"))
        assert job.status == "pending" and job.last_error
        if kind == "rate_limit":  # Retry-After: 1 is honoured
            assert job.run_at - datetime.now(UTC) < timedelta(seconds=5)
    clock.shift(timedelta(hours=2))
    with zoom_app.app_context():
        dispatch()
    assert len(sandbox_meetings(sandbox)) == 1


def test_daily_limit_waits_for_midnight_gmt(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    sandbox.state.faults.append(_fault("daily_limit", 1))
    book(host)
    with zoom_app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "meeting.sync"))
        assert job.run_at == datetime(2026, 11, 24, 0, 1, tzinfo=UTC)


def test_dashboard_shows_meeting_status_and_retry_works(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    sandbox.state.faults.append(_fault("error", 1000))
    book(host)
    with zoom_app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "meeting.sync"))
        job.attempts = job.max_attempts - 1
        job.run_at = datetime.now(UTC)
        db.session.commit()
        dispatch()  # the last attempt fails: the meeting is marked failed
        assert db.session.scalar(select(Meeting)).status == MeetingStatus.FAILED
    page = host.get("/bookings").get_data(as_text=True)
    assert "Zoom: failed" in page and "HTTP 503" in page
    booking_id = re.search(r"/bookings/(\d+)/meeting/retry", page)[1]
    sandbox.state.faults.clear()
    host.post(f"/bookings/{booking_id}/meeting/retry")
    assert len(sandbox_meetings(sandbox)) == 1
    assert "Zoom: created" in host.get("/bookings").get_data(as_text=True)


def test_expired_token_is_refreshed_once_before_the_call(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    before = token_requests(sandbox)
    clock.shift(timedelta(minutes=59, seconds=30))  # within 60 s of expiry
    book(host)
    assert token_requests(sandbox) == before + 1 and len(sandbox_meetings(sandbox)) == 1
    with zoom_app.app_context():
        assert "zoom.refreshed" in set(db.session.scalars(select(AuditEvent.kind)))


def test_a_401_refreshes_once_and_retries(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    before = token_requests(sandbox)
    requests.post(f"{sandbox.url}/sandbox/expire-access-tokens", timeout=5)
    book(host)
    assert token_requests(sandbox) == before + 1 and len(sandbox_meetings(sandbox)) == 1


def test_ten_concurrent_creations_with_an_expired_token_refresh_exactly_once(host, zoom_app, sandbox, clock):
    from linktime.conferencing.base import MeetingDetails
    from linktime.conferencing.zoom import service
    from linktime.conferencing.zoom.client import meeting_payload

    connect_zoom(host)
    with zoom_app.app_context():
        connection_id = db.session.scalar(select(ZoomConnection.id))
    requests.post(f"{sandbox.url}/sandbox/expire-access-tokens", timeout=5)
    clock.shift(timedelta(hours=1))
    before = token_requests(sandbox)
    barrier, results, errors = threading.Barrier(10), [], []

    def create(n):
        with zoom_app.app_context():
            payload = meeting_payload(MeetingDetails(topic=f"Race {n}", start=NOW + timedelta(days=2),
                                                     duration_minutes=30, timezone="UTC", agenda="", marker=str(n)))
            barrier.wait()
            try:
                results.append(service.call_zoom(connection_id, lambda api: api.create_meeting(payload)))
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 10
    assert token_requests(sandbox) == before + 1


def test_refresh_refused_needs_attention_emails_once_and_bookings_still_work(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    requests.post(f"{sandbox.url}/sandbox/revoke-refresh-tokens", timeout=5)
    clock.shift(timedelta(hours=2))
    page = host.get(book(host)).get_data(as_text=True)
    assert "Your booking" in page and "/j/" not in page and "no video link was created" in page
    second = host.get(book(host, start="2026-11-25T15:00:00+00:00", email="z@example.com")).get_data(as_text=True)
    assert "Your booking" in second
    card = host.get("/settings/integrations").get_data(as_text=True)
    assert "Needs attention" in card and "Reconnect" in card and "Invalid Token" in card
    with zoom_app.app_context():
        dispatch()
        outbox = Path(zoom_app.instance_path) / "outbox"
    mails = [p.read_text() for p in outbox.glob("*.eml")] if outbox.exists() else []
    assert len([m for m in mails if "Zoom needs your attention" in m]) == 1
    # Reconnecting fixes it; Retry on the dashboard gives the booking its meeting.
    connect_zoom(host)
    assert "Needs attention" not in host.get("/settings/integrations").get_data(as_text=True)


def test_missing_delete_scope_is_detected_at_connect(host, zoom_app, sandbox):
    start = host.post("/integrations/zoom/connect", data={"workspace": "0"})
    narrowed = start.location.replace("meeting%3Adelete%3Ameeting+", "").replace("meeting:delete:meeting ", "")
    back = allow_on_zoom(narrowed)
    page = host.get(back.split("127.0.0.1:5000", 1)[1], follow_redirects=True).get_data(as_text=True)
    assert "cannot cancel meetings" in page and "Needs attention" in page


def test_workspace_connection_serves_members_and_warns_on_overlap(host, zoom_app, sandbox, clock):
    connect_zoom(host, email="team@zoom-sandbox.test", workspace=True)
    with zoom_app.app_context():
        bob = add_user("bob", admin=False)
        add_event_type(bob, slug="bob-call", location="zoom")
        assert db.session.scalar(select(ZoomConnection)).user_id is None
    book(host)  # Ada's own meetings go on the workspace account too (she has none of her own)
    response = host.post("/bob/bob-call/book", data=dict(name="Cy", email="cy@example.com", start=TUESDAY_9,
                                                         tz="UTC", key="k-bob"))
    assert response.status_code == 303
    assert len(sandbox_meetings(sandbox)) == 2
    assert {m["host_email"] for m in sandbox_meetings(sandbox)} == {"team@zoom-sandbox.test"}
    with zoom_app.app_context():
        warnings = [m.warning for m in db.session.scalars(select(Meeting).order_by(Meeting.id))]
        assert warnings[0] == "" and "already hosts another meeting" in warnings[1]


def test_secrets_are_not_in_the_database_file_in_clear(host, zoom_app, sandbox, clock):
    connect_zoom(host)
    book(host)
    clock.shift(timedelta(minutes=59, seconds=30))
    book(host, start="2026-11-25T15:00:00+00:00", email="second@example.com")  # forces a refresh
    secrets = []
    for grant in sandbox.state.grants:
        secrets += list(grant.access) + ([grant.refresh] if grant.refresh else [])
    for meeting in sandbox.state.meetings.values():
        secrets += [meeting["join_url"], meeting["password"], meeting["start_url"]]
    assert len(secrets) >= 8
    with zoom_app.app_context():
        db.session.remove()
        raw = raw_database_contents()
    assert b"lt1." in raw  # the encrypted values are there
    assert [s for s in secrets if s.encode() in raw] == []


def raw_database_contents() -> bytes:
    """Every byte the database holds: the SQLite files themselves, or every PostgreSQL row as text."""
    from sqlalchemy import inspect, text

    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    with db.engine.connect() as connection:
        rows = [connection.execute(text(f'SELECT t::text FROM "{table}" t')).scalars().all()
                for table in inspect(connection).get_table_names()]
    return "\n".join(row for table in rows for row in table).encode()


def instance_folder_contents(app) -> bytes:
    return b"".join(p.read_bytes() for p in Path(app.instance_path).rglob("*") if p.is_file())


@pytest.mark.parametrize("how", ["disconnect", "deauthorize"])
def test_after_disconnect_no_trace_of_the_zoom_email_remains(host, zoom_app, sandbox, clock, how):
    email = "private.person@zoom-sandbox.test"
    connect_zoom(host, email=email)
    assert email in host.get("/settings/integrations").get_data(as_text=True)
    book(host)  # meetings, activity entries, jobs
    with zoom_app.app_context():
        db.session.remove()
        assert email.encode() in raw_database_contents()  # while connected it is kept, as promised
    if how == "disconnect":
        host.post("/integrations/zoom/disconnect", data={"workspace": "0"})
    else:
        user_id = sandbox.state.user(email)["id"]
        with zoom_app.app_context():
            from linktime.conferencing.zoom import service

            assert service.deauthorize(user_id) == 1
    activity = host.get("/settings/integrations").get_data(as_text=True)
    assert email not in activity and "a Zoom account" in activity
    with zoom_app.app_context():
        db.session.remove()
        raw = raw_database_contents()
        db.engine.dispose()
    assert email.encode() not in raw
    assert email.encode() not in instance_folder_contents(zoom_app)


def test_a_member_sees_the_team_zoom_account_covering_their_event_types(host, zoom_app, sandbox):
    connect_zoom(host, email="team@zoom-sandbox.test", workspace=True)
    with zoom_app.app_context():
        member = add_user("bob", admin=False)
        add_event_type(member, location="zoom")
    bob = zoom_app.test_client()
    bob.post("/login", data={"email": "bob@example.com", "password": "correct horse"})
    card = bob.get("/settings/integrations").get_data(as_text=True)
    personal = card[card.index('id="zoom-card-personal"'):]
    personal = personal[:personal.index("</article>")]
    assert "Covered by the team" in personal and "team@zoom-sandbox.test" in personal
    assert "status-off" not in personal  # not "Not connected"
    assert "is not connected" not in bob.get("/event-types").get_data(as_text=True)
