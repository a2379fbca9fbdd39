"""Who runs the outbox's jobs, and when: a dispatcher draining what is due (``dispatch``, lanes side
by side on JOB_THREADS threads, each batch in the contexts registered with ``around_batches``),
and each web process running the jobs its requests queued once it is idle (``run_soon``), or at
once for a moment (``run_briefly``)."""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack
from typing import Any, TypeVar

from flask import Flask, g
from sqlalchemy import inspect

from linktime.extensions import db, real_app
from linktime.jobs.outbox import Claim, Outcome, claim_many, due_jobs, reads_carry_over, renewed_claim, run_claimed
from linktime.models import Job

log = logging.getLogger(__name__)
R = TypeVar("R")

# Entered once around each runner's run of several jobs: what makes a batch cheap (one SMTP
# connection for all its messages) is kept for the batch; see around_batches.
BATCH_CONTEXTS: list[Callable[[], AbstractContextManager[None]]] = []


def around_batches(factory: Callable[[], AbstractContextManager[None]]) -> Callable[[], AbstractContextManager[None]]:
    """Register a context that a runner enters once around the jobs it runs together."""
    if factory not in BATCH_CONTEXTS:
        BATCH_CONTEXTS.append(factory)
    return factory


def _batch() -> ExitStack:
    stack = ExitStack()
    for factory in BATCH_CONTEXTS:
        stack.enter_context(factory())
    return stack


# A runner claims this many jobs in one statement (and one commit), then runs them in turn.
CHUNK = 16


def dispatch(limit: int = 200, *, seconds: float = 50.0) -> list[Outcome]:
    """Run due jobs until none are left or ``seconds`` have passed, JOB_THREADS lanes at a time.

    Each runner thread keeps its batch (one SMTP connection) for all the jobs it runs.
    """
    app = real_app()
    threads = max(1, int(app.config.get("JOB_THREADS", 4)))
    deadline = time.monotonic() + seconds
    outcomes: list[Outcome] = []
    while True:
        lanes = due_jobs(limit)
        if not lanes:
            break
        waiting = deque(lanes)
        # Other dispatchers read the same due jobs: starting at a random lane, each mostly claims
        # work nobody else is claiming (a lane's own order is kept).
        waiting.rotate(random.randrange(len(lanes)))

        def runner(waiting: deque[list[int]] = waiting) -> None:  # this round's lanes, shared by its threads
            with app.app_context(), _batch():
                try:
                    while chunk := _next_chunk(waiting):
                        claims = _guarded(claim_many, [job_id for lane in chunk for job_id in lane]) or {}
                        outcomes.extend(_run_in_turn(
                            [claims[job_id] for lane in chunk for job_id in lane if job_id in claims]))
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


def _run_in_turn(claims: list[Claim], before_each: Callable[[], None] | None = None) -> Iterator[Outcome]:
    """Run claimed jobs one after another (a claim held long is renewed first); each job's twin,
    next in line, uses what it read."""
    for claim, following in zip(claims, [*claims[1:], None], strict=True):
        if before_each is not None:
            before_each()
        held = _guarded(renewed_claim, claim)
        outcome = _guarded(run_claimed, held, reads_carry_over(held, following)) if held is not None else None
        if outcome is not None:
            yield outcome


def _next_chunk(waiting: deque[list[int]]) -> list[list[int]]:
    """Whole lanes from the queue, about CHUNK jobs in all (threads share the queue)."""
    chunk: list[list[int]] = []
    while sum(len(lane) for lane in chunk) < CHUNK:
        try:
            chunk.append(waiting.popleft())
        except IndexError:
            break
    return chunk


def _guarded(function: Callable[..., R], *args: Any) -> R | None:
    """A runner's step, with a failure of the runner itself (not of a job) logged and left to a
    later pass: a claim that was taken lapses, and the job is run again."""
    try:
        return function(*args)
    except Exception:
        db.session.rollback()
        log.exception("the dispatcher's %s failed; a later pass retries", function.__name__)
        return None


def run_now(jobs: Iterable[Job | None]) -> None:
    """Run freshly committed jobs in this request, instead of waiting for the next tick.

    The change that queued them is already committed: whatever happens here, the dispatcher
    retries what is left, and the request still succeeds.
    """
    _run_ids(job_ids(jobs))


def job_ids(jobs: Iterable[Job | None]) -> list[int]:
    """The ids of committed jobs, read from the session's identity map: the commit expired the
    objects, and reading ``job.id`` would load each one again."""
    return [(inspect(job).identity or (job.id,))[0] for job in jobs if job is not None]


def _run_ids(ids: list[int], *, start_by: float = 0.0) -> None:
    """Claim ``ids`` (one statement) and run them; each waits for the process to be idle until ``start_by``."""
    if not ids:
        return
    in_flight.wait_until_idle(start_by)
    with _batch():
        claims = _guarded(claim_many, ids) or {}
        for _ in _run_in_turn([claims[job_id] for job_id in ids if job_id in claims],
                              before_each=lambda: in_flight.wait_until_idle(start_by)):
            pass


class InFlight:
    """The requests this process is answering right now: its background work gives way to them."""

    QUIET = 0.1  # seconds without a request before background work counts the process as idle

    def __init__(self) -> None:
        self.count = 0
        self.last_left = 0.0
        self.changed = threading.Condition()

    def enter(self) -> None:
        with self.changed:
            self.count += 1
        g.linktime_in_flight = True

    def leave(self, _error: BaseException | None = None) -> None:
        if not g.pop("linktime_in_flight", False):
            return
        with self.changed:
            self.count -= 1
            self.last_left = time.monotonic()
            self.changed.notify_all()

    def wait_until_idle(self, deadline: float) -> None:
        """Until no request has been in flight for QUIET seconds, or the monotonic ``deadline``.

        A worker answering a burst is free only for an instant between two requests: work that
        started then would compete with the next one.
        """
        with self.changed:
            while (now := time.monotonic()) < deadline:
                quiet_for = now - self.last_left
                if self.count == 0 and quiet_for >= self.QUIET:
                    return
                timeout = deadline - now
                if self.count == 0:  # idle, but not yet for long enough
                    timeout = min(timeout, self.QUIET - quiet_for)
                self.changed.wait(timeout)


in_flight = InFlight()


# Messages handed to the background by a request start once no request is in flight, or this
# many seconds after, whichever is first: under a burst of bookings the answers go out first.
GIVE_WAY_SECONDS = 2.0


def track_requests(app: Flask) -> None:
    app.before_request(in_flight.enter)
    app.teardown_request(in_flight.leave)


# Work a request waits for never queues behind work that is giving way to requests.
_pools = {False: ThreadPoolExecutor(max_workers=2, thread_name_prefix="linktime-jobs-now"),
          True: ThreadPoolExecutor(max_workers=2, thread_name_prefix="linktime-jobs")}


_running: set[Future[None]] = set()


_running_guard = threading.Lock()


def run_soon(jobs: Iterable[Job | None], *, give_way: bool = True) -> Future[None] | None:
    """Run freshly committed jobs right away in the background, without delaying the response.

    They give way to the requests this process is answering (GIVE_WAY_SECONDS at most), unless
    a request waits for them (run_briefly). With JOBS_INLINE (the default under TESTING) they run
    in the request instead, so that what a test asserts has happened. Whatever happens to the
    thread, the dispatcher still has the jobs.
    """
    ids = job_ids(jobs)
    if not ids:
        return None
    app = real_app()
    if app.config.get("JOBS_INLINE", app.testing):
        _run_ids(ids)
        return None
    start_by = time.monotonic() + (GIVE_WAY_SECONDS if give_way else 0)

    def work() -> None:
        with app.app_context():
            try:
                _run_ids(ids, start_by=start_by)
            finally:
                db.session.remove()

    future = _pools[give_way].submit(work)
    with _running_guard:
        _running.add(future)
    future.add_done_callback(_forget_future)
    return future


def run_briefly(jobs: Iterable[Job | None]) -> None:
    """Run freshly committed jobs, waiting for them at most MEETING_WAIT_SECONDS (about 2 s).

    A booking request thus shows a meeting link the provider gives at once, and is never held
    for a slow provider: what has not finished goes on in the background (and the page polls).
    """
    app = real_app()
    if app.config.get("JOBS_INLINE", app.testing):
        run_now(jobs)
        return
    future = run_soon(jobs, give_way=False)
    if future is not None:
        wait([future], timeout=float(app.config.get("MEETING_WAIT_SECONDS", 2)))


def _forget_future(future: Future[None]) -> None:
    with _running_guard:
        _running.discard(future)


def wait_for_background(timeout: float = 30) -> None:
    """Block until the jobs handed to the background pool so far have run (tests, shutdown)."""
    with _running_guard:
        pending = list(_running)
    wait(pending, timeout=timeout)
