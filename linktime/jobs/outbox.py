"""The outbox: jobs enqueued in the caller's transaction, claimed, run, retried with backoff.

A claim is a conditional UPDATE that succeeds for one process only and expires (a crashed runner
loses nothing: its claim lapses and the job is taken again). Handlers run with no transaction
open, so no write lock is held while they talk to the network. Who runs the jobs, when and on
which threads is ``runner.py``'s; which function runs each kind is ``linktime/wiring.py``'s.
"""
from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, Update, bindparam, delete, func, or_, select, update

from linktime.extensions import db, rows_changed
from linktime.models import Job, JobStatus, now_utc

log = logging.getLogger(__name__)


LEASE = timedelta(minutes=2)  # how long a claim holds; JOB_LEASE_SECONDS overrides


# How long a job may keep waiting on what does not count as a failure (a provider's Retry-After,
# another sync of the same record), from its first run: about as long as its counted retries take.
PATIENCE = timedelta(hours=1)


def lease() -> timedelta:
    """How long a claim holds before another runner may take the work over."""
    seconds = current_app.config.get("JOB_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


Handler = Callable[..., None]
HANDLERS: dict[str, Handler] = {}
# Called with the job's payload and last error when a job is marked failed for good.
GIVE_UP_HOOKS: dict[str, Callable[..., None]] = {}
# Kinds whose consecutive jobs about the same subject (this payload key) may use what the first one
# read: the host's and the invitee's copies of one notice, sent a few milliseconds apart, read the
# same booking. Set by register_handler.
SHARED_READS: dict[str, str] = {}


class Retry(Exception):
    """Raised by a handler: try again later (at ``at``, or after the usual backoff).

    ``counts=False`` is for waiting on something expected (not a failure): the attempt is not
    counted against the job's limit, but such waits end PATIENCE after the job first ran.
    """

    def __init__(self, message: str, *, at: datetime | None = None, counts: bool = True):
        super().__init__(message)
        self.at, self.counts = at, counts


class GiveUp(Exception):
    """Raised by a handler: retrying cannot help; the job is marked failed at once."""


def register_handler(kind: str, function: Handler, *, on_give_up: Callable[..., None] | None = None,
                     shares_reads_by: str | None = None) -> None:
    """Run ``function(**payload)`` for jobs of this kind (and ``on_give_up`` when one fails for good).
    ``shares_reads_by``: the payload key of a subject that consecutive jobs may read once (share_read)."""
    HANDLERS[kind] = function
    if on_give_up is not None:
        GIVE_UP_HOOKS[kind] = on_give_up
    if shares_reads_by is not None:
        SHARED_READS[kind] = shares_reads_by


def enqueue(kind: str, /, *, run_at: datetime | None = None, dedupe_key: str | None = None, new: bool = False,
            **payload: Any) -> Job | None:
    """Add a job to the current transaction; a waiting job with the same dedupe key stands for it.

    A job that a runner has claimed is never merged into: it may be past the point where it would
    see this change. It gives up its key, and a new job is queued behind it. ``new``: the key names
    something made in this transaction, so no job can hold it yet (nothing to look up).
    """
    if dedupe_key is not None and not new:
        now = now_utc()
        pending = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if pending is not None and (pending.claimed_until is None or pending.claimed_until < now):
            # A change wanted now does not wait out the backoff of a failure before it (a cancel
            # made during a retry's wait is acted on at once).
            if pending.status == JobStatus.PENDING and (run_at or now) < pending.run_at:
                pending.run_at = run_at or now
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


@dataclass
class Claim:
    """A job taken by this runner: what it is, and the token that lets only us record its outcome."""

    job_id: int
    token: str
    kind: str
    payload: dict[str, Any]
    attempts: int  # counting this one
    max_attempts: int
    until: datetime  # when the claim lapses and another runner may take the job
    first_tried_at: datetime  # when a runner first took the job


def claim_many(job_ids: list[int]) -> dict[int, Claim]:
    """Take the due ones of ``job_ids`` for this runner, in one statement that also reads them."""
    now, token = now_utc(), secrets.token_hex(16)
    until = now + lease()
    rows = db.session.execute(
        update(Job)
        .where(
            Job.id.in_(job_ids),
            Job.status == JobStatus.PENDING,
            Job.run_at <= now,
            or_(Job.claimed_until.is_(None), Job.claimed_until < now),
        )
        .values(claimed_until=until, claim_token=token, attempts=Job.attempts + 1,
                first_tried_at=func.coalesce(Job.first_tried_at, now))
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.first_tried_at)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return {job_id: Claim(job_id, token, kind, dict(payload or {}), attempts, max_attempts, until, first)
            for job_id, kind, payload, attempts, max_attempts, first in rows}


def _claim(job_id: int) -> Claim | None:
    """Take one due job for this runner; None if it is not ours."""
    return claim_many([job_id]).get(job_id)


def renewed_claim(claim: Claim) -> Claim | None:
    """The claim, held for another lease when half of it has passed (None if it was lost meanwhile).

    Jobs claimed together run one after another: the last of them must not be taken over by
    another runner while this one is still busy with the first.
    """
    now = now_utc()
    if now < claim.until - lease() / 2:
        return claim
    until = now + lease()
    kept = rows_changed(
        update(Job).where(Job.id == claim.job_id, Job.claim_token == claim.token).values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not kept:
        return None
    claim.until = until
    return claim


@dataclass
class Outcome:
    job_id: int
    kind: str
    status: str
    error: str = ""


def _finish(claim: Claim, *, error: Exception | None, keep_reads: bool = False) -> Outcome | None:
    """Record how the run went — only while this runner still holds the claim (its token).

    On success this commits the handler's own changes with it: one transaction.
    """
    waits = isinstance(error, Retry) and not error.counts
    attempts = claim.attempts - (1 if waits else 0)
    values: dict[str, Any] = dict(attempts=attempts, claimed_until=None, claim_token=None)
    if error is None:
        values.update(status=JobStatus.DONE.value, last_error="", dedupe_key=None)
    elif (isinstance(error, GiveUp) or attempts >= claim.max_attempts
          or (waits and now_utc() - claim.first_tried_at > PATIENCE)):
        values.update(status=JobStatus.FAILED.value, dedupe_key=None, last_error=str(error)[:2000])
    else:
        values.update(last_error=str(error)[:2000],
                      run_at=error.at if isinstance(error, Retry) and error.at else now_utc() + backoff(attempts))
    recorded = rows_changed(_recording(frozenset(values)), {
        "job_id": claim.job_id, "token": claim.token, **{f"new_{name}": value for name, value in values.items()}
    })
    session = db.session()  # this thread's session itself (the scoped proxy does not pass attributes on)
    session.expire_on_commit = not keep_reads
    reads = session.info.pop("linktime.reads", [])
    if keep_reads:  # the session holds what it loaded weakly: keep it alive for the next job
        session.info["linktime.kept_reads"] = reads
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    if recorded != 1:
        log.warning("job %s outlived its claim; its outcome is left to the runner that took it over", claim.job_id)
        return None
    outcome = Outcome(claim.job_id, claim.kind, values.get("status", JobStatus.PENDING.value), values["last_error"])
    if outcome.status == JobStatus.FAILED and outcome.kind in GIVE_UP_HOOKS:
        try:
            GIVE_UP_HOOKS[outcome.kind](error=outcome.error, **claim.payload)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("give-up hook of job %s failed", claim.job_id)
    return outcome


@lru_cache(maxsize=8)
def _recording(columns: frozenset[str]) -> Update:
    """UPDATE jobs SET <columns> WHERE id and claim token match: built once per set of columns
    (an outcome is recorded for every job, and building the statement cost more than running it)."""
    jobs = cast(Table, Job.__table__)
    return (update(jobs).where(jobs.c.id == bindparam("job_id"), jobs.c.claim_token == bindparam("token"))
            .values({name: bindparam(f"new_{name}") for name in columns}))


def run_job(job_id: int) -> Outcome | None:
    """Claim and run one job now; None if another runner has it or it is not due."""
    claim = _claim(job_id)
    return None if claim is None else run_claimed(claim)


def share_read(record: object) -> None:
    """Called by a SHARED_READS handler with what it read, for the next job about the same subject."""
    db.session().info.setdefault("linktime.reads", []).append(record)


def reads_carry_over(claim: Claim, following: Claim | None) -> bool:
    subject = SHARED_READS.get(claim.kind)
    return (following is not None and subject is not None and following.kind == claim.kind
            and following.payload.get(subject) == claim.payload.get(subject) is not None)


running_job: ContextVar[int | None] = ContextVar("running_job", default=None)  # the job a handler runs for


def run_claimed(claim: Claim, keep_reads: bool = False) -> Outcome | None:
    """Run a claimed job and record its outcome; ``keep_reads``: the objects it loaded stay loaded
    for the next job (its twin), instead of being read again after the commit."""
    function = HANDLERS.get(claim.kind)
    running_job.set(claim.job_id)
    kept = db.session().info.pop("linktime.kept_reads", None)  # noqa: F841  (alive while this job runs)
    try:  # no transaction is open while the handler works (the claim is committed)
        if function is None:
            raise GiveUp(f"no handler for job kind {claim.kind!r}")
        function(**claim.payload)
        # The handler's changes and the outcome, committed together.
        return _finish(claim, error=None, keep_reads=keep_reads)
    except Exception as exc:  # a handler's failure is recorded, never lost
        db.session.rollback()
        if not isinstance(exc, (Retry, GiveUp)):
            log.warning("job %s (%s) failed: %s", claim.job_id, claim.kind, exc, exc_info=True)
        return _finish(claim, error=exc)


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


def prune_done(batch: int = 1000) -> int:
    """Delete done jobs older than JOB_RETENTION_DAYS (a batch per call); failed ones stay for admins."""
    days = float(current_app.config.get("JOB_RETENTION_DAYS", 14))
    cutoff = now_utc() - timedelta(days=days)
    old = select(Job.id).where(Job.status == JobStatus.DONE, Job.run_at < cutoff).limit(batch)
    removed = rows_changed(delete(Job).where(Job.id.in_(old))
                                 .execution_options(synchronize_session=False))
    db.session.commit()
    return removed


def retry_failed(job: Job) -> None:
    job.status, job.attempts, job.run_at, job.last_error = JobStatus.PENDING.value, 0, now_utc(), ""
    job.first_tried_at = None
    db.session.commit()


def retry_now(job: Job) -> None:
    """A waiting job is due now (a claimed one keeps its claim: it is running)."""
    db.session.execute(update(Job).where(Job.id == job.id, Job.status == JobStatus.PENDING)
                       .values(run_at=now_utc()))
    db.session.commit()
