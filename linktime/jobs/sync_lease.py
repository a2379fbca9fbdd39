"""One sync at a time per mirrored record (a meeting, a calendar event), across processes.

A sync takes a lease on its row: a random token and an expiry (the columns ``sync_token`` and
``sync_claimed_until``), as a runner claims a job; a second sync of the same row waits for it.
Whatever a sync writes, it writes only while its token is still on the row. (Jobs have claims,
``jobs/outbox.py``; rows being synced have leases, here.)
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import or_, update

from linktime.extensions import db, rows_changed
from linktime.jobs.outbox import Retry, lease
from linktime.models import CalendarEvent, Meeting, WebhookDelivery, now_utc

log = logging.getLogger(__name__)

# The mirrored records: a meeting, a calendar event; and what else is sent under a lease (a
# webhook's delivery), which take, fence, release and held serve too.
T = TypeVar("T", Meeting, CalendarEvent)
L = TypeVar("L", Meeting, CalendarEvent, WebhookDelivery)


def take(model: type[L], row_id: int) -> str | None:
    """Take the row's sync for this runner; None if another runner has it."""
    token, now = secrets.token_hex(16), now_utc()
    taken = rows_changed(
        update(model)
        .where(model.id == row_id, or_(model.sync_claimed_until.is_(None), model.sync_claimed_until < now))
        .values(sync_token=token, sync_claimed_until=now + lease())
    )
    db.session.commit()
    return token if taken == 1 else None


class LeaseLost(Retry):
    """This runner's lease lapsed (a stalled process, a frozen machine) and may be another's now:
    it makes no further outside call and writes nothing."""

    def __init__(self, what: str):
        super().__init__(f"the sync of this {what} was taken over by another runner", counts=False)


def fence(model: type[L], row_id: int, token: str) -> None:
    """Right before an outside call: renew this runner's lease for a whole lease period, or raise
    LeaseLost if it is no longer ours. A call shorter than the lease thus ends while it is held."""
    now = now_utc()
    db.session.rollback()
    kept = rows_changed(
        update(model).where(model.id == row_id, model.sync_token == token, model.sync_claimed_until >= now)
        .values(sync_claimed_until=now + lease())
    )
    db.session.commit()
    if kept != 1:
        log.warning("sync of %s %s lost its lease before an outside call; it makes none", model.__tablename__, row_id)
        raise LeaseLost(model.__tablename__.rstrip("s").replace("_", " "))


class Fenced(Generic[T]):
    """A provider whose every call is fenced by the lease on one row (see ``fence``)."""

    def __init__(self, provider: object, model: type[T], row_id: int, token: str):
        self._provider = provider
        self._fence: tuple[type[T], int, str] = (model, row_id, token)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._provider, name)
        if name not in ("create", "find", "update", "delete"):
            return attribute

        def fenced(*args: Any, **kwargs: Any) -> Any:
            fence(*self._fence)
            return attribute(*args, **kwargs)
        return fenced


def release(model: type[L], row_id: int, token: str) -> None:
    db.session.rollback()
    db.session.execute(update(model).where(model.id == row_id, model.sync_token == token)
                       .values(sync_token=None, sync_claimed_until=None))
    db.session.commit()


MAX_PASSES = 4  # a booking changing faster than this is picked up by the next run
BUSY_WAIT = timedelta(seconds=2)  # how soon a sync waiting for another one tries again


def sync(model: type[T], row_id: int, one_pass: Callable[[int, str], bool], what: str) -> None:
    """Run ``one_pass(row_id, token)`` under the row's lease until it says nothing changed meanwhile.

    A row another runner holds: this job waits for it (that run sees this change too, but the job
    stays until the row is in sync). ``what`` names the row in messages ("meeting").
    """
    token = take(model, row_id)
    if token is None:
        if db.session.get(model, row_id) is None:
            return
        raise Retry(f"another sync of this {what} is running", at=now_utc() + BUSY_WAIT, counts=False)
    try:
        for _ in range(MAX_PASSES):
            if not one_pass(row_id, token):
                return
        raise Retry(f"the booking kept changing while its {what} was synced", counts=False)
    finally:
        release(model, row_id, token)


def record(model: type[T], row_id: int, token: str, revision: int, values: dict[str, Any],
           then: Callable[[T], None] | None = None) -> bool:
    """Write what a sync pass reached (``values``, and ``then`` for what follows from them) while
    this runner holds the row; True when the desired revision moved meanwhile (go again)."""
    row = held(model, row_id, token)
    if row is None:
        db.session.commit()
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.synced_revision = max(row.synced_revision, revision)
    if then is not None:
        then(row)
    db.session.commit()
    return not row.in_sync


def held(model: type[L], row_id: int, token: str) -> L | None:
    """The row, fresh from the database, if this runner still holds its sync."""
    row = db.session.get(model, row_id, populate_existing=True)
    if row is None or row.sync_token != token:
        log.warning("sync of %s %s lost its lease; its result is left to the new holder", model.__tablename__, row_id)
        return None
    return row
