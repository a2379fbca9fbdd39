"""Rate limits that hold across worker processes: one row per key in the database.

Each key follows the generic cell rate algorithm (GCRA): ``tat`` is the time at which the key's
allowance is fully back. A request costs ``period / limit`` seconds; it is allowed while that
leaves ``tat`` no more than ``period`` ahead of now. One conditional UPDATE decides, so two
processes can never both take the last allowance, on SQLite and PostgreSQL alike. The check
commits at once, before the request changes anything, so it holds whatever the request does later.

Requests arriving together read the clock a little apart, and the one that read it first may write
last. ``Limit.slack`` absorbs that skew, so simultaneous requests are each counted once and none is
refused for a few microseconds; it is at most half a request's cost, so it never grants one more.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import case, delete, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from linktime.extensions import db, rows_changed
from linktime.i18n import gettext, ngettext
from linktime.models import RateLimit


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``period`` seconds for one key (all at once is fine)."""

    name: str
    count: int
    period: float

    @property
    def cost(self) -> float:
        return self.period / self.count

    @property
    def slack(self) -> float:
        """How far apart two requests' clocks may be read and still count as simultaneous."""
        return min(1.0, self.cost / 2)


class Throttled(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"try again in {retry_after:.0f} s")
        self.retry_after = max(1.0, retry_after)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def message(self, too_many: str = "") -> str:
        """``too_many`` ("Too many booking attempts."), and when to try again, in the reader's language."""
        return " ".join([too_many or gettext("Too many attempts."),
                         ngettext("Please try again in %(num)d minute.", "Please try again in %(num)d minutes.",
                                  self.minutes)])


def limited_key(limit: Limit, subject: str) -> str:
    """The stored key: the limit's name and a digest of the subject (an address or an email)."""
    return f"{limit.name}:{hashlib.sha256(subject.encode()).hexdigest()[:40]}"


def hit(limit: Limit, subject: str, *, now: float | None = None) -> None:
    """Spend one request of ``subject``'s allowance, or raise Throttled (nothing spent).

    Call it first thing in a view, before any change: it commits the session (one connection per
    request, so a flood cannot exhaust the pool waiting for a second one).
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    now = time.time() if now is None else now
    key = limited_key(limit, subject)
    start = case((RateLimit.tat > now, RateLimit.tat), else_=literal(now))
    latest = now + limit.slack  # the latest allowed start: see Limit.slack
    session = db.session
    for _ in range(3):  # more passes when another process created the row meanwhile
        allowed = rows_changed(
            update(RateLimit)
            .where(RateLimit.key == key, start + limit.cost - limit.period <= latest)
            .values(tat=start + limit.cost)
            .execution_options(synchronize_session=False)
        )
        if allowed:
            session.commit()
            return
        tat = session.scalar(select(RateLimit.tat).where(RateLimit.key == key))
        session.commit()
        if tat is not None:
            wait = max(tat, now) + limit.cost - limit.period - now
            if wait > limit.slack:
                raise Throttled(wait)
            continue  # the row appeared after our UPDATE looked: spend from it on the next pass
        try:
            # Keys whose allowance is fully back hold nothing: the table stays as small as the traffic.
            session.execute(delete(RateLimit).where(RateLimit.tat < now - 1)
                            .execution_options(synchronize_session=False))
            session.execute(insert(RateLimit).values(key=key, tat=now + limit.cost))
            session.commit()
            return
        except IntegrityError:
            session.rollback()
    # Still racing after three passes (rare): let this one through rather than refuse it wrongly.


def client_address() -> str:
    """The requesting address (behind PROXY_COUNT trusted proxies, the one they report)."""
    return request.remote_addr or "unknown"


