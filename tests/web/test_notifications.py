"""Emails and calendar invites, received by a real SMTP server and parsed as a mail client would."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from linktime.extensions import db
from linktime.jobs.runner import dispatch
from linktime.models import Booking, EventType, Job
from tests.helpers import add_event_type, add_user, book_form, calendar_of, connect_zoom, make_app

WEDNESDAY_9 = "2026-11-25T14:00:00+00:00"  # 09:00 New York, 15:00 Berlin


@pytest.fixture
def host(mail_app, clock):
    client = mail_app.test_client()
    with mail_app.app_context():
        add_event_type(add_user("ada"), location="zoom")
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    return client


def book(client, start=WEDNESDAY_9, email="bea@example.com", **extra):
    response = book_form(client, "/ada/intro-call/book", start, name="Bea Invitee", email=email, notes="Agenda",
                         tz="Europe/Berlin", **extra)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.split("?")[0]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def run_due(mail_app):
    with mail_app.app_context():
        return dispatch()


def test_both_confirmations_carry_the_join_link_and_a_calendar_request(host, mail_app, smtp, sandbox):
    page = host.get(book(host)).get_data(as_text=True).replace("&amp;", "&")
    [meeting] = list(sandbox.state.meetings.values())
    join = meeting["join_url"]
    assert join in page
    [invitee] = smtp.to("bea@example.com")
    [host_mail] = smtp.to("ada@example.com")
    assert invitee["Subject"].startswith("Confirmed: Intro Call with Ada")
    assert host_mail["Subject"].startswith("New booking: Bea Invitee")
    # Each recipient sees the time in their own zone.
    assert "Wednesday, 25 November 2026, 15:00–15:30 (Berlin time)" in text_of(invitee)
    assert "Wednesday, 25 November 2026, 09:00–09:30 (New York time)" in text_of(host_mail)
    for message in (invitee, host_mail):
        for body in (text_of(message), html_of(message)):
            assert join in body.replace("&amp;", "&")
        assert str(meeting["id"]) in text_of(message) and meeting["password"] in text_of(message)
        calendar, content_type = calendar_of(message)
        assert "method=REQUEST" in content_type.replace('"', "")
        event = calendar.walk("VEVENT")[0]
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["LOCATION"]) == join and str(event["URL"]) == join and join in str(event["DESCRIPTION"])
        assert event["DTSTART"].dt == datetime(2026, 11, 25, 14, tzinfo=UTC)
        assert "ada@example.com" in str(event["ORGANIZER"]) and "bea@example.com" in str(event["ATTENDEE"])
        assert any(part.get_filename() == "invite.ics" for part in message.walk())
    assert "/booking/" in text_of(invitee)  # the invitee's reschedule / cancel link
    assert "Invitee: Bea Invitee <bea@example.com>" in text_of(host_mail) and "Agenda" in text_of(host_mail)


def test_cancel_sends_both_a_calendar_cancel_with_the_same_uid(host, mail_app, smtp):
    token = book(host).rsplit("/", 1)[1]
    uid = str(calendar_of(smtp.to("bea@example.com")[0])[0].walk("VEVENT")[0]["UID"])
    host.post(f"/booking/{token}/cancel", data={"reason": "Sick"})
    for address in ("bea@example.com", "ada@example.com"):
        cancel = smtp.to(address)[-1]
        assert cancel["Subject"].startswith("Cancelled:")
        calendar, content_type = calendar_of(cancel)
        event = calendar.walk("VEVENT")[0]
        assert str(calendar["METHOD"]) == "CANCEL" and "method=CANCEL" in content_type.replace('"', "")
        assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
        assert "Sick" in text_of(cancel)
        # No promise of a link, nor a link to change what is gone.
        assert str(event["LOCATION"]) == "Zoom" and "follows" not in str(event["DESCRIPTION"])
        text = str(event["DESCRIPTION"])
        assert text.startswith("Cancelled: ") and "Change or cancel" not in text
    invitee, host_copy = smtp.to("bea@example.com")[-1], smtp.to("ada@example.com")[-1]
    assert "Book another time: http://127.0.0.1:5000/ada/intro-call" in text_of(invitee)
    assert "Book another time" not in text_of(host_copy)


def test_reschedule_sends_a_request_with_a_higher_sequence(host, mail_app, smtp, sandbox):
    token = book(host).rsplit("/", 1)[1]
    host.post(f"/booking/{token}/reschedule", data={"start": "2026-11-26T15:00:00+00:00", "tz": "UTC"})
    for address in ("bea@example.com", "ada@example.com"):
        first, moved = smtp.to(address)
        assert moved["Subject"].startswith("Rescheduled:")
        old = calendar_of(first)[0].walk("VEVENT")[0]
        new = calendar_of(moved)[0].walk("VEVENT")[0]
        assert new["UID"] == old["UID"] and new["SEQUENCE"] > old["SEQUENCE"]
        assert new["DTSTART"].dt == datetime(2026, 11, 26, 15, tzinfo=UTC)
        join = next(iter(sandbox.state.meetings.values()))["join_url"]
        assert str(new["LOCATION"]) == join


def reminders(smtp, address="bea@example.com"):
    return [m for m in smtp.to(address) if m["Subject"].startswith("Reminder:")]


def test_reminders_arrive_within_one_tick_of_24h_and_1h_before(host, mail_app, smtp, clock, sandbox):
    book(host)
    start = datetime(2026, 11, 25, 14, tzinfo=UTC)
    for lead, count in ((timedelta(hours=24), 1), (timedelta(hours=1), 2)):
        clock.move_to(start - lead - timedelta(seconds=5))
        run_due(mail_app)
        assert len(reminders(smtp)) == count - 1, "not before it is due"
        clock.move_to(start - lead + timedelta(seconds=5))  # one tick (5 s) later
        run_due(mail_app)
        assert len(reminders(smtp)) == count
    last = reminders(smtp)[-1]
    assert "starts in 1 h" in text_of(last)
    assert next(iter(sandbox.state.meetings.values()))["join_url"] in text_of(last)
    assert reminders(smtp, "ada@example.com") == []  # the host asked for none


def test_no_reminders_after_a_cancel(host, mail_app, smtp, clock):
    token = book(host).rsplit("/", 1)[1]
    host.post(f"/booking/{token}/cancel", data={})
    clock.move_to(datetime(2026, 11, 25, 13, 30, tzinfo=UTC))
    run_due(mail_app)
    assert reminders(smtp) == []


def test_reminders_follow_a_reschedule(host, mail_app, smtp, clock):
    token = book(host).rsplit("/", 1)[1]
    host.post(f"/booking/{token}/reschedule", data={"start": "2026-11-26T15:00:00+00:00", "tz": "UTC"})
    clock.move_to(datetime(2026, 11, 24, 14, 0, 10, tzinfo=UTC))  # the old 24 h point
    run_due(mail_app)
    assert reminders(smtp) == []
    clock.move_to(datetime(2026, 11, 25, 15, 0, 10, tzinfo=UTC))  # the new 24 h point
    run_due(mail_app)
    [reminder] = reminders(smtp)
    assert "Thursday, 26 November 2026, 16:00–16:30 (Berlin time)" in text_of(reminder)


def test_no_reminder_for_a_time_already_past(host, mail_app, smtp, clock):
    with mail_app.app_context():
        et = db.session.scalar(select(EventType))
        et.remind_host = True
        db.session.commit()
    clock.move_to(datetime(2026, 11, 25, 12, 30, tzinfo=UTC))  # 90 minutes before
    book(host)
    with mail_app.app_context():
        queued = [j.payload["offset"] for j in db.session.scalars(select(Job).where(Job.kind == "email.booking"))
                  if j.payload.get("kind") == "reminder"]
    assert queued == [60, 60]  # the 1 h reminder, to invitee and host; not the 24 h one
    clock.move_to(datetime(2026, 11, 25, 13, 0, 5, tzinfo=UTC))
    run_due(mail_app)
    assert len(reminders(smtp)) == 1 and len(reminders(smtp, "ada@example.com")) == 1


def test_a_meeting_zoom_creates_late_still_reaches_the_invitee(host, mail_app, smtp, sandbox, clock):
    from linktime.sandbox.zoom import Fault

    sandbox.state.faults.append(Fault(kind="error", remaining=1000))
    page = host.get(book(host)).get_data(as_text=True)
    assert "being created" in page
    assert smtp.to("bea@example.com") == []  # the confirmation waits a little for the link
    clock.shift(timedelta(seconds=31))  # the wait is bounded
    run_due(mail_app)
    [confirmation] = smtp.to("bea@example.com")
    assert "the link will follow" in text_of(confirmation)
    assert "Zoom (the link follows by email)" in str(calendar_of(confirmation)[0].walk("VEVENT")[0]["LOCATION"])
    sandbox.state.faults.clear()
    clock.shift(timedelta(hours=1))
    run_due(mail_app)  # the meeting is created, and the follow-up queued
    run_due(mail_app)  # the follow-up is sent
    join = next(iter(sandbox.state.meetings.values()))["join_url"]
    follow_up = smtp.to("bea@example.com")[-1]
    assert follow_up["Subject"].startswith("Your Zoom link:") and join in text_of(follow_up)
    event = calendar_of(follow_up)[0].walk("VEVENT")[0]
    assert str(event["LOCATION"]) == join and event["SEQUENCE"] == 1
    assert smtp.to("ada@example.com")[-1]["Subject"].startswith("Zoom link ready:")


def test_smtp_down_for_ten_minutes_loses_nothing(host, mail_app, smtp, clock):
    smtp.stop()
    for n in range(3):
        book(host, start=f"2026-11-25T{14 + n}:00:00+00:00", email=f"p{n}@example.com")
    with mail_app.app_context():
        pending = db.session.scalars(select(Job).where(Job.kind == "email.booking", Job.status == "pending"))
        assert all(j.last_error for j in pending if j.payload.get("kind") == "confirmed")
    for _ in range(20):  # ten minutes of ticks every 30 s with the server down
        clock.shift(timedelta(seconds=30))
        run_due(mail_app)
    assert smtp.messages == []
    smtp.start()
    for _ in range(60):  # back up: within the next backoff everything goes out
        clock.shift(timedelta(minutes=1))
        run_due(mail_app)
    confirmations = [m for m in smtp.messages if "Confirmed" in m["Subject"] or "New booking" in m["Subject"]]
    assert len(confirmations) == 6
    assert len({m["Message-ID"] for m in confirmations}) == 6  # each once
    with mail_app.app_context():
        failed = db.session.scalars(select(Job).where(Job.status == "failed")).all()
        assert failed == []


def test_without_smtp_the_run_command_keeps_mail_on_the_sent_mail_page(tmp_path, sandbox, clock):
    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url)
    client = app.test_client()
    with app.app_context():
        add_event_type(add_user("ada"), location="zoom")
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse"})
    connect_zoom(client)
    book(client)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Confirmed: Intro Call with Ada" in page and "New booking: Bea Invitee" in page
    # In the viewer's zone (Ada's New York: the clock's 06:00 UTC is 01:00), not the header's raw UTC.
    assert "Times in New York (UTC" in page and "Mon, 23 Nov 2026 01:0" in page and "+0000" not in page
    link = re.search(r'href="(/admin/mail/[^"]+)">Confirmed', page)[1]
    message = client.get(link).get_data(as_text=True).replace("&amp;", "&")
    join = next(iter(sandbox.state.meetings.values()))["join_url"]
    assert join in message and "METHOD:REQUEST" in message and "<iframe" in message
    # The HTML as sent, framed by that page alone, with its own inline styles and nothing that runs.
    html = client.get(f"{link}/html")
    assert join in html.get_data(as_text=True).replace("&amp;", "&") and "style=" in html.get_data(as_text=True)
    policy = html.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy
    assert client.get("/admin/mail/..%2Fsecret_key").status_code == 404
    assert client.get("/admin/mail/..%2Fsecret_key/html").status_code == 404


def test_a_job_that_gave_up_can_be_retried_by_an_admin(host, mail_app, smtp, clock):
    smtp.stop()
    book(host)
    with mail_app.app_context():
        for job in db.session.scalars(select(Job).where(Job.status == "pending")):
            job.attempts = job.max_attempts - 1
            job.run_at = datetime.now(UTC)
        db.session.commit()
    clock.shift(timedelta(minutes=1))
    run_due(mail_app)
    page = host.get("/admin/jobs").get_data(as_text=True)
    failed = page[page.index('class="jobs-failed"'):page.index("<h3>Waiting")]
    assert "Email" in failed and "confirmed to the invitee" in failed and "ConnectionRefusedError" in failed
    smtp.start()
    job_id = re.search(r"/admin/jobs/(\d+)/retry", page)[1]
    host.post(f"/admin/jobs/{job_id}/retry")
    run_due(mail_app)
    assert len(smtp.messages) == 1


def test_add_to_calendar_links_and_ics_download(host, mail_app, sandbox):
    manage = book(host)
    page = host.get(manage).get_data(as_text=True)
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert "outlook.live.com/calendar/0/deeplink/compose" in page
    download = host.get(manage + "/invite.ics")
    assert download.headers["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar

    event = Calendar.from_ical(download.data).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == next(iter(sandbox.state.meetings.values()))["join_url"]


def test_the_downloadable_ics_is_published_not_an_invitation(host, mail_app, sandbox):
    from icalendar import Calendar

    download = host.get(book(host) + "/invite.ics")
    assert str(Calendar.from_ical(download.data)["METHOD"]) == "PUBLISH"


def test_after_retry_the_invitee_and_host_get_the_link_and_an_updated_invite(host, mail_app, smtp, sandbox, clock):
    from linktime.models import Meeting
    from linktime.sandbox.zoom import Fault

    sandbox.state.faults.append(Fault(kind="error", remaining=1000))
    book(host)
    with mail_app.app_context():  # Zoom stays down until LinkTime gives up on the meeting
        job = db.session.scalar(select(Job).where(Job.kind == "meeting.sync"))
        job.attempts, job.run_at = job.max_attempts - 1, datetime.now(UTC)
        db.session.commit()
    clock.shift(timedelta(seconds=31))
    run_due(mail_app)
    [confirmation] = smtp.to("bea@example.com")
    assert "no video link" in text_of(confirmation) or "link will follow" in text_of(confirmation) \
        or "Zoom (the host will send the link)" in text_of(confirmation)
    with mail_app.app_context():
        assert db.session.scalar(select(Meeting)).status == "failed"
    sandbox.state.faults.clear()
    booking_id = re.search(r"/bookings/(\d+)/meeting/retry", host.get("/bookings").get_data(as_text=True))[1]
    host.post(f"/bookings/{booking_id}/meeting/retry")
    run_due(mail_app)
    join = next(iter(sandbox.state.meetings.values()))["join_url"]
    follow_up = smtp.to("bea@example.com")[-1]
    assert follow_up["Subject"].startswith("Your Zoom link:") and join in text_of(follow_up)
    event = calendar_of(follow_up)[0].walk("VEVENT")[0]
    assert str(event["LOCATION"]) == join and event["SEQUENCE"] > 0
    assert smtp.to("ada@example.com")[-1]["Subject"].startswith("Zoom link ready:")


def test_the_production_background_path_sends_both_confirmations(tmp_path, sandbox, smtp, clock):
    """Not the inline shortcut: messages go to the background pool, as in a running server."""
    from linktime.jobs.runner import wait_for_background
    from tests.helpers import book_form, close_app

    app = make_app(tmp_path, ZOOM_SANDBOX_URL=sandbox.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                   JOBS_INLINE=False)
    try:
        with app.app_context():
            add_event_type(add_user("ada"))
        response = book_form(app.test_client(), "/ada/intro-call/book", WEDNESDAY_9, name="Bea",
                             email="bea@example.com", tz="Europe/Berlin")
        assert response.status_code == 303
        wait_for_background()
        assert len(smtp.to("bea@example.com")) == 1 and len(smtp.to("ada@example.com")) == 1
        with app.app_context():
            assert {
                j.status
                for j in db.session.scalars(
                    select(Job).where(Job.kind == "email.booking", Job.run_at <= datetime.now(UTC))
                )
            } == {"done"}
    finally:
        close_app(app)


def test_a_non_ascii_subject_keeps_its_spaces(host, mail_app, smtp, sandbox):
    with mail_app.app_context():
        db.session.scalar(select(EventType)).title = "Café, Ünïcödé Chat"
        db.session.commit()
    book(host)
    [confirmation] = smtp.to("bea@example.com")
    assert confirmation["Subject"].startswith("Confirmed: Café, Ünïcödé Chat with Ada — ")


def queue_notices(app, count: int) -> None:
    """``count`` plain notices to the host, queued as the app queues mail."""
    from linktime.jobs.outbox import enqueue
    from linktime.models import User

    with app.app_context():
        user = db.session.scalar(select(User))
        for n in range(count):
            enqueue("email.zoom_attention", user_id=user.id, reason=f"notice {n}")
        db.session.commit()


def test_a_batch_of_messages_goes_over_one_connection_per_runner(mail_app, smtp, clock):
    with mail_app.app_context():
        add_user("ada")
    queue_notices(mail_app, 30)
    outcomes = run_due(mail_app)
    assert len(outcomes) == 30 and all(o.status == "done" for o in outcomes)
    reasons = sorted(text_of(m).split("notice ")[1].split()[0] for m in smtp.messages)
    assert reasons == sorted(str(n) for n in range(30))  # each message exactly once
    assert 1 <= len(set(smtp.peers)) <= mail_app.config.get("JOB_THREADS", 4)


def test_a_connection_the_server_closed_is_opened_again_and_nothing_is_sent_twice(mail_app, smtp, clock):
    mail_app.config["JOB_THREADS"] = 1
    with mail_app.app_context():
        add_user("ada")
    smtp.hang_up_after_each = True  # as a server does with a connection left idle
    queue_notices(mail_app, 5)
    outcomes = run_due(mail_app)
    assert [o.status for o in outcomes] == ["done"] * 5
    assert len(smtp.messages) == 5 and len(set(smtp.peers)) == 5


def test_the_two_copies_of_a_notice_read_the_booking_once(mail_app, smtp, clock):
    """The invitee's and the host's reminder, run one after the other, share one reading of the
    booking; a job about another booking reads its own."""
    from sqlalchemy import event

    from linktime.jobs.outbox import enqueue
    from linktime.models import Booking

    mail_app.config["JOB_THREADS"] = 1
    client = mail_app.test_client()
    with mail_app.app_context():
        add_event_type(add_user("ada"))
    book(client)
    book(client, start="2026-11-25T15:00:00+00:00", email="cy@example.com")
    with mail_app.app_context():
        first, second = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        for booking, recipients in ((first, ("invitee", "host")), (second, ("invitee",))):
            for recipient in recipients:
                enqueue("email.booking", booking_id=booking.id, kind="reminder", recipient=recipient, offset=60,
                        for_start=booking.start.isoformat())
        db.session.commit()
        reads: list[str] = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT") and "FROM bookings" in statement:
                reads.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            smtp.messages.clear()
            outcomes = dispatch()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert [o.status for o in outcomes] == ["done"] * 3
    assert sorted(m["To"] for m in smtp.messages) == ["ada@example.com", "bea@example.com", "cy@example.com"]
    assert len(reads) == 2  # one per booking, not one per message


def test_a_reply_reaches_the_other_person_not_the_no_reply_sender(host, mail_app, smtp, sandbox):
    book(host)
    [invitee] = smtp.to("bea@example.com")
    [host_mail] = smtp.to("ada@example.com")
    assert invitee["Reply-To"] == "Ada <ada@example.com>"
    assert host_mail["Reply-To"] == "Bea Invitee <bea@example.com>"
    assert invitee["From"] != invitee["Reply-To"]


def test_waiting_jobs_are_listed_with_their_last_error_and_can_be_tried_now(host, mail_app, smtp, clock):
    smtp.stop()
    book(host)  # the confirmations fail once and wait for their next try
    page = host.get("/admin/jobs").get_data(as_text=True)
    waiting = page[page.index("<h3>Waiting"):]
    assert re.search(r"<h3>Waiting \((\d+)\)</h3>", waiting)[1] != "0"
    assert "confirmed to the invitee" in waiting and "ConnectionRefusedError" in waiting
    assert "No failed jobs." in page
    smtp.start()
    for job_id in re.findall(r"/admin/jobs/(\d+)/retry", waiting):
        assert host.post(f"/admin/jobs/{job_id}/retry").status_code == 303
    run_due(mail_app)  # no clock moved: "Try now" made them due
    assert {m["To"] for m in smtp.messages} == {"bea@example.com", "ada@example.com"}


def test_a_reschedule_notice_never_arrives_before_the_confirmation_it_follows(host, mail_app, smtp, clock):
    """The confirmation could not be sent (the mail server was down) and waits for its retry; the
    booking is moved meanwhile. Once the server is back, each person gets the confirmation first,
    then the notice of the move."""
    smtp.stop()
    page = book(host)
    with mail_app.app_context():
        manage = db.session.scalar(select(Booking)).manage_url.split("5000", 1)[1]
    smtp.start()
    moved = mail_app.test_client().post(f"{manage}/reschedule",
                                        data={"start": "2026-11-26T14:00:00+00:00", "tz": "Europe/Berlin"})
    assert moved.status_code in (302, 303) and page
    for _ in range(10):
        run_due(mail_app)
        clock.shift(timedelta(seconds=10))
    for person in ("bea@example.com", "ada@example.com"):
        subjects = [m["Subject"] for m in smtp.messages if m["To"].endswith(f"<{person}>") or m["To"] == person]
        assert len(subjects) == 2, subjects
        assert not subjects[0].startswith("Rescheduled") and subjects[1].startswith("Rescheduled"), subjects


def test_the_jobs_page_lists_only_reminders_that_will_go_out(host, mail_app, smtp, clock):
    """Reminders of a cancelled booking, and those for a moved booking's old time, are no longer
    waiting: Settings → Jobs shows only the moved booking's new ones."""
    def waiting_reminders() -> list[str]:
        page = host.get("/admin/jobs").get_data(as_text=True)
        return re.findall(r"reminder to the (?:invitee|host) · <a[^>]*>booking (\d+)", page)

    token = book(host).rsplit("/", 1)[1]
    other = book(host, start="2026-11-25T16:00:00+00:00", email="cy@example.com").rsplit("/", 1)[1]
    run_due(mail_app)
    before = waiting_reminders()
    assert sorted(set(before)) == ["1", "2"]
    host.post(f"/booking/{token}/cancel", data={})
    host.post(f"/booking/{other}/reschedule", data={"start": "2026-11-26T15:00:00+00:00", "tz": "UTC"})
    after = waiting_reminders()
    assert set(after) == {"2"} and len(after) == before.count("2")  # the new ones, as many as before
    with mail_app.app_context():
        for job in db.session.scalars(select(Job).where(Job.status == "pending", Job.dedupe_key.like("reminder:%"))):
            assert job.payload["for_start"] == "2026-11-26T15:00:00+00:00"


def test_the_invitee_reads_their_emails_on_the_clock_and_in_the_dates_of_the_page_they_booked_on(
        mail_app, smtp, clock):
    with mail_app.app_context():
        add_event_type(add_user("ada"))
    client = mail_app.test_client()
    client.set_cookie("lt_clock", "12")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.8"
    answer = book_form(client, "/ada/intro-call/book", WEDNESDAY_9, name="Bea Invitee", email="bea@example.com",
                       tz="America/Chicago")
    assert answer.status_code == 303
    with mail_app.app_context():
        dispatch()
    invitee = text_of(smtp.to("bea@example.com")[0])
    assert "Wednesday, November 25, 2026, 8:00 AM–8:30 AM (Chicago time)" in invitee
    host = text_of(smtp.to("ada@example.com")[0])
    assert "Wednesday, 25 November 2026, 09:00–09:30 (New York time)" in host  # the host's own way
