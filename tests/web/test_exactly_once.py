"""One outside meeting per live booking, none for a cancelled one, under the faults providers produce.

Each case is forced, never hoped for: the sandbox holds a request until the test releases it,
acts and then drops its answer, or answers 429 a given number of times. Real HTTP to the sandbox,
a real SMTP server, and the database under test (SQLite file or PostgreSQL).
"""
from __future__ import annotations

import contextlib
import time
from datetime import timedelta

from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import AuditEvent, Meeting, MeetingStatus, ZoomConnection
from tests.helpers import connect_zoom
from tests.web.test_interleavings import (  # noqa: F401  (ada is a fixture)
    CREATE,
    WEDNESDAY_10,
    ada,
    book,
    calls,
    live_meetings,
    settle,
    the_booking,
)

LIST = dict(method="GET", path="/v2/users/me/meetings")


def the_meeting(app) -> Meeting:
    """The one meeting, detached, with its sealed link read while the app's keys are at hand."""
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        meeting.link = meeting.join_url
        db.session.expunge(meeting)
        return meeting


def run_due(app, clock, rounds: int, step=timedelta(minutes=10)) -> None:
    """``rounds`` dispatcher ticks, time moving ``step`` before each (no sleeping)."""
    for _ in range(rounds):
        clock.shift(step)
        with app.app_context():
            dispatch()


def cancel(app, token: str) -> None:
    assert app.test_client().post(f"/booking/{token}/cancel", data={"reason": ""}).status_code == 303


def reschedule(app, token: str, start: str = WEDNESDAY_10) -> None:
    response = app.test_client().post(f"/booking/{token}/reschedule", data={"start": start, "tz": "UTC"})
    assert response.status_code == 303, response.get_data(as_text=True)


def history(app) -> str:
    with app.app_context():
        return " ".join(db.session.scalars(select(AuditEvent.detail)))


# ---------------------------------------------------------------- a lost answer, then a 429 on the look-up


def test_a_429_on_the_look_up_after_a_lost_create_does_not_forget_the_create(ada, mail_app, sandbox, smtp, clock):
    sandbox.state.add_fault("lost_answer", **CREATE)
    sandbox.state.add_fault("rate_limit", **LIST)  # the look-up for what the lost create made
    book(mail_app)
    settle(mail_app, clock)

    [made] = sandbox.state.meetings.values()  # one meeting: the first, adopted
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.external_id == str(made["id"])
    assert calls(sandbox, "POST", "/v2/users/me/meetings") == 1


def test_a_lost_create_a_cancel_and_a_429_on_the_look_up_leave_nothing_at_zoom(ada, mail_app, sandbox, smtp, clock):
    sandbox.state.add_fault("lost_answer", **CREATE)
    book(mail_app)
    sandbox.state.add_fault("rate_limit", **LIST)
    cancel(mail_app, the_booking(mail_app).link_token)
    settle(mail_app, clock)

    assert len(sandbox.state.meetings) == 1 and live_meetings(sandbox) == []
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CANCELLED and ours.in_sync


# ---------------------------------------------------------------- a create slower than our timeout


def wait_for(condition, seconds: float = 10) -> None:
    """Until the sandbox's own thread has done what the test released it to do (bounded)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sandbox did not act"
        time.sleep(0.01)


def test_a_cancel_during_a_create_slower_than_our_timeout_deletes_what_zoom_makes_late(
        ada, mail_app, sandbox, smtp, clock):
    hold = sandbox.state.add_fault("hold", seconds=30, **CREATE)
    book(mail_app)  # our create times out (ZOOM_TIMEOUT=2 s) while Zoom still holds it
    assert hold.arrived.is_set() and sandbox.state.meetings == {}
    with mail_app.app_context():  # the cancel comes a second after the create went out
        clock.move_to(db.session.scalar(select(Meeting.create_sent_at)) + timedelta(seconds=1))

    cancel(mail_app, the_booking(mail_app).link_token)  # its pass looks, and finds nothing yet
    assert calls(sandbox, "GET", "/v2/users/me/meetings") == 1
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.PENDING and not ours.in_sync  # absence not concluded yet

    hold.release.set()  # Zoom makes the meeting after all
    wait_for(lambda: len(sandbox.state.meetings) == 1)
    settle(mail_app, clock)

    assert live_meetings(sandbox) == []
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CANCELLED and ours.in_sync and ours.last_error == ""
    assert "Could not make" not in history(mail_app)


# ---------------------------------------------------------------- Retry-After is a wait, not a failure


def test_eight_429s_with_retry_after_do_not_give_up_a_meeting(ada, mail_app, sandbox, smtp, clock):
    sandbox.state.add_fault("rate_limit", count=8, **CREATE)
    book(mail_app)
    run_due(mail_app, clock, 10, step=timedelta(seconds=2))  # each Retry-After: 1 s

    [made] = live_meetings(sandbox)
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.external_id == str(made["id"])
    assert calls(sandbox, "POST", "/v2/users/me/meetings") == 9


def test_a_delete_that_zoom_keeps_refusing_is_not_called_a_failed_create(ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    [made] = live_meetings(sandbox)
    sandbox.state.add_fault("rate_limit", count=10_000, method="DELETE", path=f"/v2/meetings/{made['id']}")
    cancel(mail_app, the_booking(mail_app).link_token)
    run_due(mail_app, clock, 4, step=timedelta(seconds=2))
    assert the_meeting(mail_app).status == MeetingStatus.PENDING  # still trying: a wait counts no attempt

    run_due(mail_app, clock, 8)  # 80 minutes of 429s: longer than a job waits
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CANCELLED and "delete it in Zoom" in ours.last_error
    assert "Could not make" not in history(mail_app) and "Could not delete the Zoom meeting" in history(mail_app)
    page = mail_app.test_client().get(f"/booking/{the_booking(mail_app).link_token}").get_data(as_text=True)
    assert "Could not make" not in page


# ---------------------------------------------------------------- connections have identity


def zoom_meeting(sandbox, meeting_id: str) -> dict:
    return sandbox.state.meetings[int(meeting_id)]


def connection_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(ZoomConnection.id)))


def test_reconnecting_the_same_zoom_account_keeps_every_meeting_in_reach(ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    before = the_meeting(mail_app)
    [connection] = connection_ids(mail_app)
    connect_zoom(ada)  # "Needs attention → Reconnect", or just Connect again: the same account
    assert connection_ids(mail_app) == [connection]

    token = the_booking(mail_app).link_token
    reschedule(mail_app, token)
    moved = the_meeting(mail_app)
    assert moved.status == MeetingStatus.CREATED and moved.external_id == before.external_id
    assert zoom_meeting(sandbox, moved.external_id)["start_time"].startswith("2026-11-25T15:00")
    page = mail_app.test_client().get(f"/booking/{token}").get_data(as_text=True)
    assert moved.link in page

    cancel(mail_app, token)
    assert live_meetings(sandbox) == []


def test_after_disconnect_a_meeting_keeps_its_link_and_catches_up_when_the_account_is_back(
        ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    made = the_meeting(mail_app)
    token = the_booking(mail_app).link_token
    ada.post("/integrations/zoom/disconnect", data={"workspace": "0"})

    reschedule(mail_app, token)  # LinkTime cannot move it at Zoom now, but the link stands
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.link == made.link and not ours.in_sync
    page = mail_app.test_client().get(f"/booking/{token}").get_data(as_text=True)
    assert made.link in page and "will follow" not in page
    rescheduled = [m for m in smtp.to("bea@example.com") if m["Subject"].startswith("Rescheduled")]
    assert len(rescheduled) == 1 and made.link in rescheduled[0].get_body(("plain",)).get_content()
    assert zoom_meeting(sandbox, made.external_id)["start_time"].startswith("2026-11-24T14:00")

    connect_zoom(ada)  # the same account comes back: the meeting moves to the new time
    settle(mail_app, clock)
    assert zoom_meeting(sandbox, made.external_id)["start_time"].startswith("2026-11-25T15:00")
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.in_sync and ours.last_error == ""

    ada.post("/integrations/zoom/disconnect", data={"workspace": "0"})
    cancel(mail_app, token)
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CANCELLED and "left on the Zoom account" in ours.last_error
    assert len(live_meetings(sandbox)) == 1
    connect_zoom(ada)  # back again: what the cancel left behind is deleted now
    settle(mail_app, clock)
    assert live_meetings(sandbox) == []
    assert the_meeting(mail_app).in_sync


def test_another_zoom_account_does_not_take_over_the_old_accounts_meetings(ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    made = the_meeting(mail_app)
    connect_zoom(ada, email="someone.else@zoom-sandbox.test")
    token = the_booking(mail_app).link_token
    reschedule(mail_app, token)
    settle(mail_app, clock)
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.link == made.link  # the link stands
    assert "keeps its link" in ours.last_error
    assert [m["id"] for m in live_meetings(sandbox)] == [int(made.external_id)]  # no second meeting


def test_a_meeting_names_its_account_by_provider_and_account_and_never_follows_a_reused_id(
        ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    made = the_meeting(mail_app)
    assert (made.provider, made.account_id) == ("zoom", connection_ids(mail_app)[0]) and made.account_ref
    ada.post("/integrations/zoom/disconnect", data={"workspace": "0"})
    let_go = the_meeting(mail_app)
    assert let_go.account_id is None and let_go.account_ref == made.account_ref  # waits for that account

    connect_zoom(ada, email="someone.else@zoom-sandbox.test")
    [new_row] = connection_ids(mail_app)
    with mail_app.app_context():  # a database that hands the new account the old row's id
        db.session.get(Meeting, made.id).account_id = new_row
        db.session.commit()
    token = the_booking(mail_app).link_token
    reschedule(mail_app, token)
    settle(mail_app, clock)
    cancel(mail_app, token)
    settle(mail_app, clock)
    # nothing was sent to the other account in the old meeting's name: it is still at Zoom, as told
    assert calls(sandbox, "PATCH", "/v2/meetings") == 0 and calls(sandbox, "DELETE", "/v2/meetings") == 0
    assert [m["id"] for m in live_meetings(sandbox)] == [int(made.external_id)]
    assert "left on the Zoom account" in the_meeting(mail_app).last_error


# ---------------------------------------------------------------- a runner past its lease


def test_a_runner_that_stalls_past_its_lease_makes_no_outside_call(ada, mail_app, sandbox, smtp, clock, monkeypatch):
    from linktime.bookings import service as bookings
    from linktime.conferencing import meeting_sync
    from linktime.conferencing.zoom.adapter import ZoomProvider
    from linktime.jobs import sync_lease
    from linktime.jobs.outbox import lease

    book(mail_app)
    meeting_id = the_meeting(mail_app).id
    monkeypatch.setattr(bookings, "run_briefly", lambda jobs: None)  # the move is left to the runners below
    reschedule(mail_app, the_booking(mail_app).link_token)
    real_connection = ZoomProvider.connection
    taken_over = []

    def stall_then_look(self, connection_id):
        """Runner A freezes here, after reading the meeting and before calling Zoom; meanwhile its
        lease runs out and runner B takes the meeting over."""
        clock.shift(lease() + timedelta(seconds=1))
        taken_over.append(sync_lease.take(Meeting, meeting_id))
        return real_connection(self, connection_id)

    with mail_app.app_context():
        token = sync_lease.take(Meeting, meeting_id)
        monkeypatch.setattr(ZoomProvider, "connection", stall_then_look)
        with contextlib.suppress(sync_lease.LeaseLost):
            meeting_sync._sync_once(meeting_id, token)
        monkeypatch.setattr(ZoomProvider, "connection", real_connection)
    assert taken_over[0] is not None  # B holds the meeting now
    assert calls(sandbox, "PATCH", "/v2/meetings") == 0  # A did not move it: B will

    with mail_app.app_context():
        sync_lease.release(Meeting, meeting_id, taken_over[0])
    settle(mail_app, clock)
    assert calls(sandbox, "PATCH", "/v2/meetings") == 1
    [made] = live_meetings(sandbox)
    assert made["start_time"].startswith("2026-11-25T15:00")


def test_a_disconnect_while_the_move_is_queued_still_moves_the_meeting_when_the_account_is_back(
        ada, mail_app, sandbox, smtp, clock, monkeypatch):
    from linktime.bookings import service as bookings

    book(mail_app)
    made = the_meeting(mail_app)
    token = the_booking(mail_app).link_token
    monkeypatch.setattr(bookings, "run_briefly", lambda jobs: None)  # the move waits for a dispatcher
    reschedule(mail_app, token)
    ada.post("/integrations/zoom/disconnect", data={"workspace": "0"})
    with mail_app.app_context():
        dispatch()  # the move's pass finds no account: it waits for it, link kept
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.link == made.link and not ours.in_sync

    monkeypatch.undo()
    connect_zoom(ada)
    settle(mail_app, clock)
    assert zoom_meeting(sandbox, made.external_id)["start_time"].startswith("2026-11-25T15:00")
    assert the_meeting(mail_app).in_sync


def test_a_disconnect_while_the_delete_is_queued_still_deletes_when_the_account_is_back(
        ada, mail_app, sandbox, smtp, clock, monkeypatch):
    from linktime.bookings import service as bookings

    book(mail_app)
    monkeypatch.setattr(bookings, "run_briefly", lambda jobs: None)  # the delete waits for a dispatcher
    cancel(mail_app, the_booking(mail_app).link_token)
    ada.post("/integrations/zoom/disconnect", data={"workspace": "0"})
    with mail_app.app_context():
        dispatch()
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CANCELLED and "left on the Zoom account" in ours.last_error
    assert len(live_meetings(sandbox)) == 1

    monkeypatch.undo()
    connect_zoom(ada)
    settle(mail_app, clock)
    assert live_meetings(sandbox) == [] and the_meeting(mail_app).in_sync
