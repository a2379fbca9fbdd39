"""The outbox: enqueue in the caller's transaction, claim, run, retry with backoff.

A claim is a conditional UPDATE that succeeds for one process only and expires (a crashed runner
loses nothing: its claim lapses and the job is taken again). Handlers run with no transaction
open, so no write lock is held while they talk to the network.
"""
from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import delete, or_, select, update

from linktime.extensions import db
from linktime.models import Job, JobStatus, now_utc

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # how long a claim holds; JOB_LEASE_SECONDS overrides


def lease() -> timedelta:
    """How long a claim holds before another runner may take the work over."""
    seconds = current_app.config.get("JOB_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


Handler = Callable[..., None]
HANDLERS: dict[str, Handler] = {}
# Called with the job's payload and last error when a job is marked failed for good.
GIVE_UP_HOOKS: dict[str, Callable[..., None]] = {}
# Entered once around each runner's run of several jobs: what makes a batch cheap (one SMTP
# connection for all its messages) is kept for the batch; see around_batches.
BATCH_CONTEXTS: list[Callable[[], AbstractContextManager]] = []


def around_batches(factory: Callable[[], AbstractContextManager]) -> Callable[[], AbstractContextManager]:
    """Register a context that a runner enters once around the jobs it runs together."""
    BATCH_CONTEXTS.append(factory)
    return factory


def _batch() -> ExitStack:
    stack = ExitStack()
    for factory in BATCH_CONTEXTS:
        stack.enter_context(factory())
    return stack


class Retry(Exception):
    """Raised by a handler: try again later (at ``at``, or after the usual backoff).

    ``counts=False`` is for waiting on something expected (not a failure): the attempt is not
    counted against the job's limit.
    """

    def __init__(self, message: str, *, at: datetime | None = None, counts: bool = True):
        super().__init__(message)
        self.at, self.counts = at, counts


class GiveUp(Exception):
    """Raised by a handler: retrying cannot help; the job is marked failed at once."""


def handler(kind: str, *, on_give_up: Callable[..., None] | None = None) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        if on_give_up is not None:
            GIVE_UP_HOOKS[kind] = on_give_up
        return function

    return register


def enqueue(kind: str, /, *, run_at: datetime | None = None, dedupe_key: str | None = None, **payload) -> Job | None:
    """Add a job to the current transaction; a waiting job with the same dedupe key stands for it.

    A job that a runner has claimed is never merged into: it may be past the point where it would
    see this change. It gives up its key, and a new job is queued behind it.
    """
    if dedupe_key is not None:
        now = now_utc()
        pending = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if pending is not None and (pending.claimed_until is None or pending.claimed_until < now):
            if run_at is not None and pending.status == JobStatus.PENDING and run_at < pending.run_at:
                pending.run_at = run_at
            return pending
        if pending is not None:
            db.session.execute(update(Job).where(Job.id == pending.id).values(dedupe_key=None))
            db.session.expire(pending, ["dedupe_key"])
    job = Job(kind=kind, payload=payload, dedupe_key=dedupe_key, run_at=run_at or now_utc())
    db.session.add(job)
    return job


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 1 h, with jitter so retries do not march in step."""
    seconds = min(3600, 30 * 2 ** max(0, attempt - 1))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def _claim(job_id: int) -> str | None:
    """Take a due job for this runner; returns the claim's token, or None if it is not ours."""
    now, token = now_utc(), secrets.token_hex(16)
    claimed = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.status == JobStatus.PENDING,
            Job.run_at <= now,
            or_(Job.claimed_until.is_(None), Job.claimed_until < now),
        )
        .values(claimed_until=now + lease(), claim_token=token, attempts=Job.attempts + 1)
    ).rowcount
    db.session.commit()
    return token if claimed == 1 else None


@dataclass
class Outcome:
    job_id: int
    kind: str
    status: str
    error: str = ""


def _finish(job_id: int, token: str, *, error: Exception | None) -> Outcome | None:
    """Record how the run went — only while this runner still holds the claim (its token)."""
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None or job.claim_token != token:
        db.session.rollback()
        log.warning("job %s outlived its claim; its outcome is left to the runner that took it over", job_id)
        return None
    kind, payload = job.kind, dict(job.payload or {})
    attempts = job.attempts - (1 if isinstance(error, Retry) and not error.counts else 0)
    values: dict = dict(attempts=attempts, claimed_until=None, claim_token=None)
    if error is None:
        values.update(status=JobStatus.DONE.value, last_error="", dedupe_key=None)
    elif isinstance(error, GiveUp) or attempts >= job.max_attempts:
        values.update(status=JobStatus.FAILED.value, dedupe_key=None, last_error=str(error)[:2000])
    else:
        values.update(last_error=str(error)[:2000],
                      run_at=error.at if isinstance(error, Retry) and error.at else now_utc() + backoff(attempts))
    recorded = db.session.execute(
        update(Job).where(Job.id == job_id, Job.claim_token == token).values(**values)
    ).rowcount
    db.session.commit()
    if recorded != 1:
        return None
    outcome = Outcome(job_id, kind, values.get("status", JobStatus.PENDING.value), values["last_error"])
    if outcome.status == JobStatus.FAILED and outcome.kind in GIVE_UP_HOOKS:
        try:
            GIVE_UP_HOOKS[outcome.kind](error=outcome.error, **payload)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("give-up hook of job %s failed", job_id)
    return outcome


def run_job(job_id: int) -> Outcome | None:
    """Claim and run one job now; None if another runner has it or it is not due."""
    token = _claim(job_id)
    if token is None:
        return None
    job = db.session.get(Job, job_id)
    kind, payload = job.kind, dict(job.payload or {})
    db.session.commit()  # no transaction stays open while the handler works
    function = HANDLERS.get(kind)
    try:
        if function is None:
            raise GiveUp(f"no handler for job kind {kind!r}")
        function(**payload)
        db.session.commit()
        error = None
    except Exception as exc:  # a handler's failure is recorded, never lost
        db.session.rollback()
        if not isinstance(exc, (Retry, GiveUp)):
            log.warning("job %s (%s) failed: %s", job_id, kind, exc, exc_info=True)
        error = exc
    return _finish(job_id, token, error=error)


def due_jobs(limit: int) -> list[list[int]]:
    """Up to ``limit`` due jobs, oldest first, in lanes: the jobs of one booking or meeting share a
    lane and keep their order; lanes may run side by side."""
    now = now_utc()
    rows = db.session.execute(
        select(Job.id, Job.payload)
        .where(Job.status == JobStatus.PENDING, Job.run_at <= now,
               or_(Job.claimed_until.is_(None), Job.claimed_until < now))
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    ).all()
    db.session.commit()
    lanes: dict[object, list[int]] = {}
    for job_id, payload in rows:
        payload = payload if isinstance(payload, dict) else {}
        subject = next((f"{name}:{payload[name]}" for name in ("booking_id", "meeting_id") if name in payload), job_id)
        lanes.setdefault(subject, []).append(job_id)
    return list(lanes.values())


def dispatch(limit: int = 200, *, seconds: float = 50.0) -> list[Outcome]:
    """Run due jobs until none are left or ``seconds`` have passed, JOB_THREADS lanes at a time.

    Each runner thread keeps its batch (one SMTP connection) for all the jobs it runs.
    """
    app = current_app._get_current_object()
    threads = max(1, int(app.config.get("JOB_THREADS", 4)))
    deadline = time.monotonic() + seconds
    outcomes: list[Outcome] = []
    while True:
        lanes = due_jobs(limit)
        if not lanes:
            break
        waiting = deque(lanes)

        def runner() -> None:
            with app.app_context(), _batch():
                try:
                    while True:
                        try:
                            lane = waiting.popleft()
                        except IndexError:
                            return
                        for job_id in lane:
                            outcome = _run_guarded(job_id)
                            if outcome is not None:
                                outcomes.append(outcome)
                finally:
                    db.session.remove()

        if threads == 1 or len(lanes) == 1:
            runner()
        else:
            with ThreadPoolExecutor(min(threads, len(lanes)), thread_name_prefix="linktime-dispatch") as pool:
                for _ in range(min(threads, len(lanes))):
                    pool.submit(runner)
        if sum(len(lane) for lane in lanes) < limit or time.monotonic() > deadline:
            break
    return outcomes


def _run_guarded(job_id: int) -> Outcome | None:
    """run_job, with a failure of the runner itself (not of the job) logged and left to a later pass."""
    try:
        return run_job(job_id)
    except Exception:
        db.session.rollback()
        log.exception("running job %s failed; the dispatcher will retry it", job_id)
        return None


def run_now(jobs: Iterable[Job | None]) -> None:
    """Run freshly committed jobs in this request, instead of waiting for the next tick.

    The change that queued them is already committed: whatever happens here, the dispatcher
    retries what is left, and the request still succeeds.
    """
    ids = [j.id for j in jobs if j is not None]
    with _batch():
        for job_id in ids:
            _run_guarded(job_id)


_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="linktime-jobs")
_running: set[Future] = set()
_running_guard = threading.Lock()


def run_soon(jobs: Iterable[Job | None]) -> Future | None:
    """Run freshly committed jobs right away in the background, without delaying the response.

    With JOBS_INLINE (the default under TESTING) they run in the request instead, so that what a
    test asserts has happened. Whatever happens to the thread, the dispatcher still has the jobs.
    """
    ids = [j.id for j in jobs if j is not None]
    if not ids:
        return None
    app = current_app._get_current_object()
    if app.config.get("JOBS_INLINE", app.testing):
        run_now(db.session.get(Job, i) for i in ids)
        return None

    def work() -> None:
        with app.app_context():
            try:
                run_now(db.session.get(Job, i) for i in ids)
            finally:
                db.session.remove()

    future = _pool.submit(work)
    with _running_guard:
        _running.add(future)
    future.add_done_callback(_forget_future)
    return future


def run_briefly(jobs: Iterable[Job | None]) -> None:
    """Run freshly committed jobs, waiting for them at most MEETING_WAIT_SECONDS (about 2 s).

    A booking request thus shows a meeting link the provider gives at once, and is never held
    for a slow provider: what has not finished goes on in the background (and the page polls).
    """
    app = current_app._get_current_object()
    if app.config.get("JOBS_INLINE", app.testing):
        run_now(jobs)
        return
    future = run_soon(jobs)
    if future is not None:
        wait([future], timeout=float(app.config.get("MEETING_WAIT_SECONDS", 2)))


def _forget_future(future: Future) -> None:
    with _running_guard:
        _running.discard(future)


def wait_for_background(timeout: float = 30) -> None:
    """Block until the jobs handed to the background pool so far have run (tests, shutdown)."""
    with _running_guard:
        pending = list(_running)
    wait(pending, timeout=timeout)


def prune_done(batch: int = 1000) -> int:
    """Delete done jobs older than JOB_RETENTION_DAYS (a batch per call); failed ones stay for admins."""
    days = float(current_app.config.get("JOB_RETENTION_DAYS", 14))
    cutoff = now_utc() - timedelta(days=days)
    old = select(Job.id).where(Job.status == JobStatus.DONE, Job.run_at < cutoff).limit(batch)
    removed = db.session.execute(delete(Job).where(Job.id.in_(old))
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return removed


def retry_failed(job: Job) -> None:
    job.status, job.attempts, job.run_at, job.last_error = JobStatus.PENDING.value, 0, now_utc(), ""
    db.session.commit()
