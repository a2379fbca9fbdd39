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
