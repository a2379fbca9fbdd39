"""Which processes dispatch background jobs, and that a tick runs what is due."""
from __future__ import annotations

import pytest

from linktime.extensions import db
from linktime.jobs.outbox import enqueue, handler
from linktime.jobs.scheduler import start_scheduler, tick
from linktime.models import Job

RAN: list[int] = []


@handler("test.record")
def record(n: int) -> None:
    RAN.append(n)


@pytest.mark.parametrize("argv,dispatches", [
    (["/srv/.venv/bin/gunicorn", "wsgi:app"], True),
    (["/srv/.venv/bin/flask", "--app", "wsgi", "run", "--port", "5000"], True),
    (["/srv/.venv/bin/flask", "--app", "wsgi", "db", "upgrade"], False),
    (["/srv/.venv/bin/flask", "--app", "wsgi", "run-jobs"], False),
    (["/usr/lib/python3/site-packages/flask/__main__.py", "--app", "wsgi", "rotate-keys"], False),
])
def test_only_serving_processes_start_the_dispatcher(app, argv, dispatches):
    app.testing, app.config["SCHEDULER_ENABLED"] = False, True
    scheduler = start_scheduler(app, argv)
    try:
        assert (scheduler is not None) == dispatches
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def test_scheduler_enabled_false_keeps_it_out_of_web_workers(app):
    app.testing, app.config["SCHEDULER_ENABLED"] = False, False
    assert start_scheduler(app, ["/srv/.venv/bin/gunicorn", "wsgi:app"]) is None


def test_a_tick_runs_the_due_jobs(app):
    with app.app_context():
        enqueue("test.record", n=7)
        db.session.commit()
    tick(app)
    with app.app_context():
        assert RAN[-1] == 7 and db.session.scalar(db.select(Job.status)) == "done"


def test_a_tick_prunes_done_jobs_older_than_the_retention(app, clock):
    from datetime import timedelta

    from linktime.models import JobStatus, now_utc

    with app.app_context():
        old, recent = now_utc() - timedelta(days=15), now_utc() - timedelta(days=13)
        db.session.add_all([
            Job(kind="test.record", payload={"n": 1}, status=JobStatus.DONE, run_at=old),
            Job(kind="test.record", payload={"n": 2}, status=JobStatus.DONE, run_at=recent),
            Job(kind="test.record", payload={"n": 3}, status=JobStatus.FAILED, run_at=old),
            Job(kind="test.record", payload={"n": 4}, status=JobStatus.PENDING, run_at=now_utc() + timedelta(days=1)),
        ])
        db.session.commit()
    tick(app)
    with app.app_context():
        left = sorted(job.payload["n"] for job in db.session.scalars(db.select(Job)))
    assert left == [2, 3, 4]
