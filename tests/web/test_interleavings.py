"""Bookings and their Zoom meetings stay right when actions happen *during* outside calls.

Each interleaving is forced, not hoped for: the sandbox holds a request until the test releases
it (an Event, never a sleep), or acts and then drops its answer. Real HTTP to the sandbox, a real
SMTP server, and the database under test (SQLite file or PostgreSQL).
"""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import AuditEvent, Booking, Job, JobStatus, Meeting, MeetingStatus, ZoomConnection
from tests.helpers import add_event_type, add_user, book_form, calendar_of, connect_zoom, form_key

TUESDAY_9 = "2026-11-24T14:00:00+00:00"  # 09:00 New York
WEDNESDAY_10 = "2026-11-25T15:00:00+00:00"
CREATE = dict(method="POST", path="/v2/users/me/meetings")


@pytest.fixture
def ada(mail_app, clock):
    """Ada, signed in, Zoom connected, with a Zoom-located Intro Call."""
    with mail_app.app_context():
        add_event_type(add_user("ada"), location="zoom")
    client = mail_app.test_client()
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    return client


def book(app, start=TUESDAY_9):
    response = book_form(app.test_client(), "/ada/intro-call/book", start, name="Bea", email="bea@example.com",
                         notes="Agenda", tz="UTC")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


class Background(threading.Thread):
    """Run one action in another thread (a second person, a second request) and keep its result."""

    def __init__(self, action):
        super().__init__(daemon=True)
        self.action, self.result, self.error = action, None, None
        self.start()

    def run(self):
        try:
            self.result = self.action()
        except BaseException as exc:  # noqa: BLE001 - re-raised in finish()
            self.error = exc

    def finish(self):
        self.join(30)
        assert not self.is_alive(), "the background action did not finish"
        if self.error:
            raise self.error
        return self.result


def the_booking(app) -> Booking:
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        booking.link_token = booking.manage_token  # made from the app's key: read it while we have the app
        db.session.expunge(booking)
        return booking


def the_meeting(app) -> Meeting:
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        db.session.expunge(meeting)
        return meeting


def live_meetings(sandbox) -> list[dict]:
    return [m for m in sandbox.state.meetings.values() if not m["deleted"]]


def calls(sandbox, method, prefix) -> int:
    return sum(1 for e in sandbox.state.log if e["method"] == method and e["path"].startswith(prefix))


def settle(app, clock):
    """Let every retry that is due run (time moves on; no sleeping)."""
    for _ in range(3):
        clock.shift(timedelta(minutes=10))
        with app.app_context():
            dispatch()


def invitee_mail(smtp) -> list[tuple[str, int | None, str | None]]:
    """(subject, SEQUENCE, METHOD) of each message the invitee received, in order."""
    found = []
    for message in smtp.to("bea@example.com"):
        calendar, _ = calendar_of(message)
        event = next(iter(calendar.walk("VEVENT")), None) if calendar else None
        found.append((message["Subject"], int(event["SEQUENCE"]) if event else None,
                      str(calendar["METHOD"]) if calendar else None))
    return found


def test_cancel_during_create_leaves_no_meeting_at_zoom(ada, mail_app, sandbox, smtp, clock):
    hold = sandbox.state.add_fault("hold", seconds=30, **CREATE)
    booking_request = Background(lambda: book(mail_app))
    assert hold.arrived.wait(10)  # the create is at Zoom now

    token = the_booking(mail_app).link_token
    cancel = mail_app.test_client().post(f"/booking/{token}/cancel", data={"reason": "changed my mind"})
    assert cancel.status_code == 303
    hold.release.set()
    booking_request.finish()

    assert live_meetings(sandbox) == [] and len(sandbox.state.meetings) == 1
    meeting = the_meeting(mail_app)
    assert meeting.status == MeetingStatus.CANCELLED and meeting.in_sync
    settle(mail_app, clock)
    assert calls(sandbox, "POST", "/v2/users/me/meetings") == 1
    with mail_app.app_context():
        assert set(db.session.scalars(select(Job.status).where(Job.kind == "meeting.sync"))) == {JobStatus.DONE}
    # The confirmation was overtaken by the cancel: the invitee hears of the cancel only.
    subjects = [subject for subject, _, _ in invitee_mail(smtp)]
    assert len(subjects) == 1 and subjects[0].startswith("Cancelled:")


def test_reschedule_during_create_moves_the_meeting_to_the_new_time(ada, mail_app, sandbox, smtp, clock):
    hold = sandbox.state.add_fault("hold", seconds=30, **CREATE)
    booking_request = Background(lambda: book(mail_app))
    assert hold.arrived.wait(10)

    token = the_booking(mail_app).link_token
    moved = mail_app.test_client().post(f"/booking/{token}/reschedule", data={"start": WEDNESDAY_10, "tz": "UTC"})
    assert moved.status_code == 303
    hold.release.set()
    booking_request.finish()
    settle(mail_app, clock)

    [meeting] = live_meetings(sandbox)
    assert meeting["start_time"] == "2026-11-25T15:00:00Z"
    assert len(sandbox.state.meetings) == 1
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.external_id == str(meeting["id"]) and ours.in_sync
    page = mail_app.test_client().get(f"/booking/{token}").get_data(as_text=True).replace("&amp;", "&")
    assert meeting["join_url"] in page and "Wednesday, 25 November" in page


def test_cancel_during_reschedule_is_one_outcome_with_rising_sequence(ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    [created] = live_meetings(sandbox)
    token = the_booking(mail_app).link_token
    hold = sandbox.state.add_fault("hold", seconds=30, method="PATCH", path=f"/v2/meetings/{created['id']}")
    reschedule = Background(lambda: mail_app.test_client().post(
        f"/booking/{token}/reschedule", data={"start": WEDNESDAY_10, "tz": "UTC"}))
    assert hold.arrived.wait(10)  # the move is at Zoom now

    cancel = mail_app.test_client().post(f"/booking/{token}/cancel", data={"reason": ""})
    assert cancel.status_code == 303
    hold.release.set()
    assert reschedule.finish().status_code == 303
    settle(mail_app, clock)

    assert live_meetings(sandbox) == []
    booking = the_booking(mail_app)
    assert booking.is_cancelled and booking.sequence == 2
    mail = invitee_mail(smtp)
    # The reschedule notice was overtaken by the cancel: not sent. What was sent only rises.
    assert [s.split(":")[0] for s, _, _ in mail] == ["Confirmed", "Cancelled"]
    assert [(seq, method) for _, seq, method in mail] == [(0, "REQUEST"), (2, "CANCEL")]


def test_reschedule_during_cancel_is_refused(ada, mail_app, sandbox, smtp, clock):
    book(mail_app)
    [created] = live_meetings(sandbox)
    token = the_booking(mail_app).link_token
    hold = sandbox.state.add_fault("hold", seconds=30, method="DELETE", path=f"/v2/meetings/{created['id']}")
    cancel = Background(lambda: mail_app.test_client().post(f"/booking/{token}/cancel", data={"reason": ""}))
    assert hold.arrived.wait(10)

    client = mail_app.test_client()
    response = client.post(f"/booking/{token}/reschedule", data={"start": WEDNESDAY_10, "tz": "UTC"})
    assert response.status_code in (302, 303)
    assert "can no longer be changed" in client.get(response.location).get_data(as_text=True)
    hold.release.set()
    cancel.finish()

    booking = the_booking(mail_app)
    assert booking.is_cancelled and booking.start.isoformat() == TUESDAY_9
    assert live_meetings(sandbox) == []
    assert calls(sandbox, "PATCH", "/v2/meetings") == 0
    assert [s.split(":")[0] for s, _, _ in invitee_mail(smtp)] == ["Confirmed", "Cancelled"]


def test_a_create_whose_answer_is_lost_makes_exactly_one_meeting(ada, mail_app, sandbox, smtp, clock):
    sandbox.state.add_fault("lost_answer", **CREATE)
    page = mail_app.test_client().get(book(mail_app).location).get_data(as_text=True)
    assert "Zoom link is being created" in page
    assert len(sandbox.state.meetings) == 1  # Zoom made it; LinkTime did not hear back
    with mail_app.app_context():
        assert db.session.scalar(select(Meeting)).create_sent_at is not None

    settle(mail_app, clock)
    [meeting] = sandbox.state.meetings.values()
    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.external_id == str(meeting["id"])
    assert ours.create_sent_at is None and not ours.create_unverified
    assert calls(sandbox, "POST", "/v2/users/me/meetings") == 1
    assert calls(sandbox, "GET", "/v2/users/me/meetings") == 1
    with mail_app.app_context():
        assert db.session.get(Meeting, ours.id).join_url == meeting["join_url"]
        assert "Found and kept the Zoom meeting" in " ".join(db.session.scalars(select(AuditEvent.detail)))
    # The invitee still gets the link, once.
    links = [m for m in smtp.to("bea@example.com") if meeting["join_url"] in m.get_body(("plain",)).get_content()]
    assert len(links) == 1


def test_a_lost_create_on_a_connection_without_the_list_scope_is_flagged(ada, mail_app, sandbox, smtp, clock):
    with mail_app.app_context():  # connected before LinkTime asked for the list scope
        connection = db.session.scalar(select(ZoomConnection))
        connection.scopes = "meeting:delete:meeting meeting:update:meeting meeting:write:meeting user:read:user"
        db.session.commit()
    sandbox.state.add_fault("lost_answer", **CREATE)
    book(mail_app)
    settle(mail_app, clock)

    ours = the_meeting(mail_app)
    assert ours.status == MeetingStatus.CREATED and ours.create_unverified
    assert calls(sandbox, "GET", "/v2/users/me/meetings") == 0
    dashboard = ada.get("/bookings").get_data(as_text=True)
    assert "could not be checked" in dashboard


def test_a_lost_answer_then_cancel_deletes_what_zoom_made(ada, mail_app, sandbox, smtp, clock):
    sandbox.state.add_fault("lost_answer", **CREATE)
    book(mail_app)
    token = the_booking(mail_app).link_token
    assert mail_app.test_client().post(f"/booking/{token}/cancel", data={"reason": ""}).status_code == 303
    settle(mail_app, clock)
    assert len(sandbox.state.meetings) == 1 and live_meetings(sandbox) == []
    assert the_meeting(mail_app).status == MeetingStatus.CANCELLED


@pytest.mark.parametrize("key", ["", "forged.0123456789abcdef0123456789abcdef", "someone-elses"])
def test_a_takeover_attempt_gets_nothing_of_the_victims_booking(ada, mail_app, sandbox, smtp, clock, key):
    book(mail_app)  # the victim, Bea
    victim = the_booking(mail_app)
    if key == "someone-elses":  # a real key, issued to another browser's session
        key = form_key(mail_app.test_client(), "/ada/intro-call/book?start=2026-11-24T16:00:00%2B00:00")
        assert key
    attacker = mail_app.test_client()
    attempt = attacker.post("/ada/intro-call/book", data=dict(
        name="Mallory", email="bea@example.com", start=TUESDAY_9, tz="UTC", key=key))
    guess = attacker.post("/ada/intro-call/book", data=dict(
        name="Mallory", email="nobody@example.com", start=TUESDAY_9, tz="UTC", key=key))
    for response in (attempt, guess):
        assert response.status_code == 409 and response.location is None
        body = response.get_data(as_text=True)
        assert victim.link_token not in body and "Agenda" not in body and "/j/" not in body
        assert "Booked this time yourself a moment ago? Your booking link is on its way" in body
    # A wrong guess and the victim's email get the same page (bar the per-form key and CSRF token, and
    # the address typed, which the form keeps).
    strip = lambda r: re.sub(r"[\w.-]{40,}|bea@example.com|nobody@example.com", "", r.get_data(as_text=True))
    assert strip(attempt) == strip(guess)
    # The link went to the victim only, once (the second ask is within ten minutes).
    again = [m for m in smtp.messages if m["Subject"].startswith("Your booking link:")]
    assert [m["To"] for m in again] == ["bea@example.com"]
    assert victim.link_token in again[0].get_body(("plain",)).get_content()
    assert not [m for m in smtp.messages if "nobody@example.com" in m["To"]]


def test_a_connection_without_the_list_scope_is_told_to_reconnect(ada, mail_app):
    assert "cannot be checked for a duplicate" not in ada.get("/settings/integrations").get_data(as_text=True)
    with mail_app.app_context():
        connection = db.session.scalar(select(ZoomConnection))
        connection.scopes = "meeting:write user:read"  # classic scopes, from before
        db.session.commit()
    page = ada.get("/settings/integrations").get_data(as_text=True)
    assert "cannot be checked for a duplicate" in page and "Needs attention" not in page


def test_a_meeting_made_while_its_confirmation_is_written_sends_the_link_once(ada, mail_app, sandbox, smtp, clock,
                                                                              monkeypatch):
    """The confirmation decides, from one reading, that it goes without the link; the meeting is
    made right then (forced by a hook, in another thread): the link then follows exactly once."""
    from linktime.jobs.outbox import run_job
    from linktime.notifications import booking_messages

    sandbox.state.add_fault("error", **CREATE)  # the first create fails: the meeting is still to be made
    book(mail_app)
    clock.shift(timedelta(minutes=2))  # the confirmation no longer waits for the link; the retry is due
    with mail_app.app_context():
        pending = list(db.session.scalars(select(Job).where(Job.status == JobStatus.PENDING)))
        [sync] = [job.id for job in pending if job.kind == "meeting.sync"]
        [confirmation] = [job.id for job in pending if job.kind == "email.booking"
                          and job.payload.get("kind") == "confirmed" and job.payload.get("recipient") == "invitee"]

    def run_sync() -> None:
        with mail_app.app_context():
            run_job(sync)
            db.session.remove()

    written = booking_messages.booking_message

    def meeting_made_meanwhile(*args, **kwargs):
        monkeypatch.setattr(booking_messages, "booking_message", written)  # only this once
        Background(run_sync).finish()
        return written(*args, **kwargs)

    monkeypatch.setattr(booking_messages, "booking_message", meeting_made_meanwhile)
    with mail_app.app_context():
        run_job(confirmation)
    settle(mail_app, clock)
    [meeting] = sandbox.state.meetings.values()
    to_bea = smtp.to("bea@example.com")
    with_link = [m for m in to_bea if meeting["join_url"] in m.get_body(("plain",)).get_content()]
    assert meeting["join_url"] not in to_bea[0].get_body(("plain",)).get_content()  # the confirmation
    assert len(with_link) == 1
