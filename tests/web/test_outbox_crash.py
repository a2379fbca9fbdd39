"""A dispatcher process killed with SIGKILL mid-batch loses no message when it comes back."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from linktime.extensions import db
from linktime.jobs.outbox import enqueue
from linktime.models import Booking
from tests.helpers import TEST_KEYS, SMTPServer, add_event_type, add_user, close_app, make_app

ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 15


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_sigkill_mid_batch_then_restart_delivers_every_message(tmp_path):
    smtp = SMTPServer(delay=0.15).start()  # a slow server, so the kill lands mid-batch
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    from datetime import UTC, datetime, timedelta

    expected = set()
    with app.app_context():
        host = add_user("ada")
        event_type = add_event_type(host)
        for n in range(BOOKINGS):
            start = datetime.now(UTC) + timedelta(days=3, hours=n)
            booking = Booking(host_id=host.id, event_type_id=event_type.id, title="Intro Call", location="none",
                              start=start, end=start + timedelta(minutes=30), invitee_name=f"P{n}",
                              invitee_email=f"p{n}@example.com", invitee_timezone="UTC")
            db.session.add(booking)
            db.session.flush()
            for recipient in ("invitee", "host"):
                enqueue("email.booking", booking_id=booking.id, kind="confirmed", recipient=recipient)
                expected.add(f"<{booking.uid}.confirmed.{recipient}.0.0@linktime>")
        db.session.commit()
        uri = str(db.engine.url.render_as_string(hide_password=False))
    close_app(app)

    env = {**os.environ, "LINKTIME_SQLALCHEMY_DATABASE_URI": uri, "LINKTIME_SECRET_KEY": "test-secret",
           "LINKTIME_ENCRYPTION_KEYS": TEST_KEYS, "LINKTIME_MAIL_SERVER": "127.0.0.1",
           "LINKTIME_MAIL_PORT": str(smtp.port), "LINKTIME_SCHEDULER_ENABLED": "false",
           "LINKTIME_JOB_LEASE_SECONDS": "2"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run-jobs", "--interval", "0.2"]
    processes = []
    try:
        first = subprocess.Popen(command, cwd=ROOT, env=env)
        processes.append(first)
        assert wait_until(lambda: len(smtp.messages) >= 8, 60), "the dispatcher did not start sending"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        sent_before_kill = len(smtp.messages)
        assert sent_before_kill < 2 * BOOKINGS, "killed too late to be mid-batch"

        second = subprocess.Popen(command, cwd=ROOT, env=env)
        processes.append(second)
        received = lambda: {m["Message-ID"].strip() for m in smtp.messages}
        assert wait_until(lambda: received() >= expected, 90), f"missing {len(expected - received())}"
    finally:
        for process in processes:
            process.kill()
            process.wait(10)
        smtp.stop()
    ids = [m["Message-ID"].strip() for m in smtp.messages]
    duplicates = len(ids) - len(set(ids))
    print(f"\ndelivered {len(set(ids))} messages; {duplicates} duplicate(s) after one SIGKILL")
    # At most the messages that were on the wire when the process died are sent twice: one per
    # runner thread of the dispatcher (JOB_THREADS, 4 by default).
    assert set(ids) == expected and duplicates <= 4
