"""Which processes dispatch background jobs, and that a tick runs what is due."""
from __future__ import annotations

import pytest

from linktime.extensions import db
from linktime.jobs.outbox import enqueue, register_handler
from linktime.jobs.scheduler import start_scheduler, tick
from linktime.models import Job

RAN: list[int] = []


def record(n: int) -> None:
    RAN.append(n)


register_handler("test.record", record)


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


def test_jobs_claimed_together_are_each_run_once_and_a_lost_claim_is_not_run(app, clock):
    """A runner claims a chunk in one statement; a job whose claim another runner took over
    while this one was busy with the others is left to that runner."""
    from datetime import timedelta

    from sqlalchemy import update

    from linktime.jobs import outbox
    from linktime.models import now_utc

    with app.app_context():
        jobs = [enqueue("test.record", n=100 + n) for n in range(3)]
        db.session.commit()
        ids = [job.id for job in jobs]
        claims = outbox.claim_many(ids)
        assert sorted(claims) == sorted(ids) and outbox.claim_many(ids) == {}  # nobody else gets them
        outbox.run_claimed(claims[ids[0]])
        clock.shift(timedelta(minutes=1, seconds=1))  # over half the lease: the next one is renewed
        renewed = outbox.renewed_claim(claims[ids[1]])
        assert renewed is not None and renewed.until > now_utc() + timedelta(minutes=1)
        outbox.run_claimed(renewed)
        # Meanwhile the third one's claim lapsed and another runner took it.
        db.session.execute(update(Job).where(Job.id == ids[2]).values(claim_token="someone-else"))
        db.session.commit()
        clock.shift(timedelta(minutes=1))
        assert outbox.renewed_claim(claims[ids[2]]) is None
        assert RAN[-2:] == [100, 101]
        statuses = dict(db.session.execute(db.select(Job.id, Job.status).where(Job.id.in_(ids))).all())
        assert statuses == {ids[0]: "done", ids[1]: "done", ids[2]: "pending"}


RUN_DURING: list[int] = []
SEEN = __import__("threading").Event()


def record_in_flight() -> None:
    from linktime.jobs.runner import in_flight

    RUN_DURING.append(in_flight.count)
    SEEN.set()


register_handler("test.in_flight", record_in_flight)


def test_background_messages_wait_for_the_requests_in_flight(app, monkeypatch):
    """Handed to the background by a request, a message starts once no request is in flight
    (the answers of a burst go out first), and at the latest GIVE_WAY_SECONDS later."""
    import threading

    from linktime.jobs import runner

    app.config["JOBS_INLINE"] = False
    monkeypatch.setattr(runner.InFlight, "QUIET", 0.0)
    monkeypatch.setattr(runner, "GIVE_WAY_SECONDS", 30)
    release, in_request = threading.Event(), threading.Event()

    class Watched(threading.Condition):
        def wait(self, timeout=None):
            SEEN.set()  # the message is waiting for the request
            return super().wait(timeout)

    monkeypatch.setattr(runner.in_flight, "changed", Watched())

    @app.get("/_test/slow")
    def slow():
        in_request.set()
        release.wait(10)
        return "ok"

    with app.app_context():
        job = enqueue("test.in_flight")
        db.session.commit()
        client = threading.Thread(target=lambda: app.test_client().get("/_test/slow"))
        client.start()
        assert in_request.wait(5)
        SEEN.clear()
        future = runner.run_soon([job])
        assert SEEN.wait(5) and RUN_DURING == []  # it waits, not runs, while the request is answered
        release.set()
        client.join(5)
        future.result(timeout=5)
        assert RUN_DURING == [0]

        # A process that is never idle still sends it, GIVE_WAY_SECONDS after it was handed over.
        monkeypatch.setattr(runner, "GIVE_WAY_SECONDS", 0.2)
        with runner.in_flight.changed:
            runner.in_flight.count += 1
        try:
            second = enqueue("test.in_flight")
            db.session.commit()
            runner.run_soon([second]).result(timeout=5)
            assert RUN_DURING == [0, 1]
        finally:
            with runner.in_flight.changed:
                runner.in_flight.count -= 1
