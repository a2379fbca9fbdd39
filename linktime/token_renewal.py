"""Renewing an OAuth access token once across every process: Zoom, Google and Microsoft alike.

Zoom's and Microsoft's refresh tokens rotate: each works once, and the new one must be stored
before anybody sends the old one again. So a renewal is single-flight per connection row: a lock
inside the process, and across processes a claim on the row (``refresh_claimed_until``) taken
with a conditional UPDATE. Whoever loses waits for ``token_version`` to move, then uses what the
winner stored. The new tokens, the raised version and the released claim are written in one
transaction.

A refused renewal reads the row again before the grant is called dead: a process whose claim
lapsed (stalled past it) may have sent a refresh token that another process had already spent and
replaced; the replacement is good, and the account is healthy.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy import Update, or_, update
from sqlalchemy.orm import Session

from linktime.extensions import rows_changed
from linktime.models import RenewableGrant, now_utc

CLAIM = timedelta(seconds=30)
WAIT_STEP = 0.2  # seconds between looks at a renewal another process holds

Row = TypeVar("Row", bound=RenewableGrant)
Result = TypeVar("Result")


@dataclass(frozen=True)
class Grant(Generic[Row, Result]):
    """How one provider's connections are renewed.

    ``renew`` sends the refresh and writes the new tokens into the row (not committed);
    ``current`` is what callers get from a row (its access token, and so on); ``refused`` is the
    provider's "this grant is no longer valid" error and ``give_up`` marks the row when it is;
    ``dead`` is the error for a row already set aside, ``busy`` the one for a renewal that another
    process holds for longer than a claim, ``gone`` the one for a row deleted meanwhile.
    """

    model: type[Row]
    renew: Callable[[Row], None]
    current: Callable[[Row], Result]
    refused: type[Exception]
    give_up: Callable[[Row, Exception], None]
    dead: Callable[[Row], Exception | None]
    busy: Callable[[], Exception]
    gone: Callable[[], Exception]


_locks: defaultdict[tuple[str, int], threading.Lock] = defaultdict(threading.Lock)
_locks_guard = threading.Lock()


def _lock(model: type, row_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks[(model.__name__, row_id)]


def wait_for_other() -> None:
    """Another process holds the renewal: look again shortly (a hook for tests)."""
    time.sleep(WAIT_STEP)


def renew(grant: Grant[Row, Result], row_id: int, seen_version: int, session: Session) -> Result:
    """Renew the tokens of ``row_id`` unless someone did since ``seen_version``; what the row holds then.

    ``session`` is committed as the renewal goes (claim, then result): pass one with nothing else
    pending in it.
    """
    with _lock(grant.model, row_id):
        renewed_meanwhile = _claim(grant, row_id, seen_version, session)
        if renewed_meanwhile is not None:
            return renewed_meanwhile
        row = _load(grant, row_id, session)
        try:
            grant.renew(row)
        except grant.refused as exc:
            session.rollback()
            row = _load(grant, row_id, session)
            if row.token_version != seen_version:  # our claim had lapsed; another's renewal stands
                session.commit()
                return grant.current(row)
            grant.give_up(row, exc)
            row.refresh_claimed_until = None
            session.commit()
            raise
        except Exception:
            session.rollback()
            rows_changed(_versioned(grant, row_id, seen_version).values(refresh_claimed_until=None), session=session)
            session.commit()
            raise
        # Stored only if nobody renewed since (a claim can lapse while a provider is slow).
        stored = rows_changed(_versioned(grant, row_id, seen_version)
                              .values(token_version=seen_version + 1, refresh_claimed_until=None), session=session)
        if not stored:
            session.rollback()
        session.commit()
        return grant.current(_load(grant, row_id, session))


def _claim(grant: Grant[Row, Result], row_id: int, seen_version: int, session: Session) -> Result | None:
    """Take the renewal of the row for this process; what it holds if another renewed it meanwhile.
    Waits (at most a claim's length) while another process holds the renewal."""
    model = grant.model
    deadline = time.monotonic() + CLAIM.total_seconds()
    while True:
        row = _load(grant, row_id, session)
        session.commit()
        if row.token_version != seen_version:
            return grant.current(row)  # renewed by another
        if (error := grant.dead(row)) is not None:
            raise error
        now = now_utc()
        claimed = rows_changed(
            _versioned(grant, row_id, seen_version)
            .where(or_(model.refresh_claimed_until.is_(None), model.refresh_claimed_until < now))
            .values(refresh_claimed_until=now + CLAIM),
            session=session,
        )
        session.commit()
        if claimed:
            return None
        if time.monotonic() > deadline:
            raise grant.busy()
        wait_for_other()


def _load(grant: Grant[Row, Result], row_id: int, session: Session) -> Row:
    row = session.get(grant.model, row_id, populate_existing=True)
    if row is None:
        session.rollback()
        raise grant.gone()
    return row


def _versioned(grant: Grant[Row, Result], row_id: int, seen_version: int) -> Update:
    """UPDATE the row if its tokens are still the version this renewal started from."""
    model = grant.model
    return (update(model).where(model.id == row_id, model.token_version == seen_version)
            .execution_options(synchronize_session=False))
