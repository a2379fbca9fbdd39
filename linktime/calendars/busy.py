"""Busy times from the calendars a host checks for conflicts: read concurrently, kept briefly.

A booking page shows the host's free times; each calendar the host checked is read for the
window the page shows (all at once, one thread each), and what was read is kept for ``FRESH``
per calendar and window in this process, so a busy page costs each calendar server one request
a minute, whatever the number of visitors. The page cache keeps a page no longer than the reads it
was made from (``known_until``).

A calendar that cannot be read does not break the page: it counts as free, the invitee sees the
times known from everything else, and the account records since when it could not be read (the
host sees "could not be read since 10:42"); the failure is kept as long as a reading would be, so
a dead server costs a visitor at most one wait of ``PAGE_WAIT``. That is also all a request may spend
waiting on calendars in all, however many windows it reads (a series' sessions, say): once it is
spent, the rest is answered from what is known, without reading and without counting as a failure.

A booking reads its slot's day once more, fresh (or as read for another booking in the last
``BOOKING_AGE``), just before its transaction: an event added a minute ago blocks the time even
while pages still show it (and those pages are then renewed).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from linktime.calendars.base import BusyTime, CalendarClient, CalendarError, Expired, WrongPassword
from linktime.extensions import db
from linktime.models import CalendarConnection, ConnectedCalendar, ConnectionStatus, now_utc

log = logging.getLogger(__name__)

FRESH = timedelta(seconds=60)  # how long a reading is used
# Every reading any process still uses was made within this: where LinkTime's own events were
# before a move or removal is remembered this long, so no such reading counts them as busy.
READINGS_OUTLIVE = 2 * FRESH
BOOKING_AGE = timedelta(seconds=10)  # how old a reading a booking may use (a burst of bookings shares one)
PAGE_WAIT = 5.0  # seconds a page waits for all its calendars together
CAPACITY = 4096  # readings kept per process (calendar × window), least recently used out first
_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()


@dataclass(frozen=True)
class Reading:
    busy: tuple[BusyTime, ...]
    until: datetime  # used until then (read FRESH before it)
    failed: bool = False
    refused: str = ""  # the account refused the password: why, in the host's words


class ReadingCache:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self.entries: OrderedDict[tuple, Reading] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> Reading | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or found.until <= now_utc():
                return None
            self.entries.move_to_end(key)
            return found

    def put(self, key: tuple, reading: Reading) -> None:
        with self.lock:
            self.entries[key] = reading
            self.entries.move_to_end(key)
            while len(self.entries) > self.capacity:
                self.entries.popitem(last=False)

    def forget(self, calendar_ids: set[int]) -> None:
        with self.lock:
            for key in [key for key in self.entries if key[0] in calendar_ids]:
                del self.entries[key]


def readings() -> ReadingCache:
    """This worker's readings (one cache per app)."""
    cache = current_app.extensions.get("linktime.busy_readings")
    return cache if cache is not None else current_app.extensions.setdefault("linktime.busy_readings",
                                                                             ReadingCache())


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="linktime-calendars")
        return _pool


def checked_calendars(host_id: int) -> list[ConnectedCalendar]:
    """The host's calendars checked for conflicts, with their accounts (one query)."""
    from sqlalchemy.orm import contains_eager

    return list(db.session.scalars(
        select(ConnectedCalendar).join(ConnectedCalendar.connection)
        .options(contains_eager(ConnectedCalendar.connection))
        .where(CalendarConnection.user_id == host_id, ConnectedCalendar.check_conflicts.is_(True))
        .order_by(ConnectedCalendar.id)
    ))


def outside_busy(host_id: int, start: datetime, end: datetime, *, zone: str,
                 max_age: timedelta = FRESH) -> list[BusyTime]:
    """What the host's checked calendars hold in [start, end), from readings at most ``max_age`` old.

    Records in ``g`` until when the answer holds (see ``known_until``).
    """
    calendars = checked_calendars(host_id)
    if not calendars:
        return []
    budget = _budget()
    from linktime.calendars.service import client_for

    cache = readings()
    found: dict[int, Reading] = {}
    calendars_kept: set[int] = set()
    skipped = False
    wanted: dict[int, tuple[ConnectedCalendar, CalendarClient]] = {}
    for calendar in calendars:
        reading = cache.get((calendar.id, start, end))
        if reading is not None and reading.until - FRESH >= now_utc() - max_age:
            found[calendar.id] = reading
            calendars_kept.add(calendar.id)
        elif budget <= 0:  # this request has waited on calendars long enough: what is known stands
            skipped = True
        else:  # a client each: its HTTP session is used by one thread
            try:
                wanted[calendar.id] = (calendar, client_for(calendar.connection, timeout=PAGE_WAIT))
            except CalendarError as error:  # its access could not be renewed
                found[calendar.id] = _failed(calendar.id, error, now_utc() + FRESH)
    fetched = _read_all(wanted, start, end, zone, client_for, budget) if wanted else {}
    found.update(fetched)
    for calendar_id, reading in found.items():
        if calendar_id not in calendars_kept:
            cache.put((calendar_id, start, end), reading)
    if len(calendars_kept) < len(found):
        _note_failures([calendar for calendar in calendars if calendar.id in found], found)
    # A page made without reading some calendar is not kept at all.
    until = min([reading.until for reading in found.values()] + ([now_utc()] if skipped else []))
    g.linktime_busy_until = min(until, g.get("linktime_busy_until", until))
    return [busy for reading in found.values() for busy in reading.busy]


def known_until() -> datetime | None:
    """The earliest instant a calendar reading used in this request stops being used, if any."""
    return g.get("linktime_busy_until")


def _budget() -> float:
    """Seconds this request may still wait on calendars (PAGE_WAIT in all, from its first read)."""
    if not has_request_context():
        return PAGE_WAIT
    deadline = g.setdefault("linktime_busy_deadline", time.monotonic() + PAGE_WAIT)
    return max(0.0, deadline - time.monotonic())


def _read_all(wanted: dict[int, tuple[ConnectedCalendar, CalendarClient]], start: datetime, end: datetime,
              zone: str, client_for, budget: float) -> dict[int, Reading]:
    """Every wanted calendar read at once; one that fails or is too slow counts as free for now."""
    futures = {calendar_id: _executor().submit(client.busy, calendar.remote_id, start, end, zone=zone)
               for calendar_id, (calendar, client) in wanted.items()}
    wait(futures.values(), timeout=budget)
    until = now_utc() + FRESH
    result = {}
    for calendar_id, future in futures.items():
        if not future.done():
            future.cancel()
            log.warning("calendar %s took more than %ss to read", calendar_id, PAGE_WAIT)
            result[calendar_id] = Reading((), until, failed=True)
            continue
        error = future.exception()
        if isinstance(error, Expired):  # its access token was refused: renewed here, and read again
            calendar = wanted[calendar_id][0]
            try:
                result[calendar_id] = Reading(tuple(client_for(calendar.connection, timeout=PAGE_WAIT, force=True).busy(
                    calendar.remote_id, start, end, zone=zone)), until)
                continue
            except Exception as again:  # noqa: BLE001 - said below like any failed reading
                error = again
        result[calendar_id] = Reading(tuple(future.result()), until) if error is None \
            else _failed(calendar_id, error, until)
    return result


def _failed(calendar_id: int, error: BaseException, until: datetime) -> Reading:
    if isinstance(error, CalendarError):
        log.warning("calendar %s could not be read: %s", calendar_id, error.message)
    else:
        log.error("calendar %s could not be read", calendar_id, exc_info=error)
    refused = error.message if isinstance(error, WrongPassword) else ""
    return Reading((), until, failed=True, refused=refused)


def _note_failures(calendars: list[ConnectedCalendar], found: dict[int, Reading]) -> None:
    """Since when each account could not be read (None again once it can), and whether it refused
    its password (it then needs attention), written only on change.

    On a connection of its own: the page's session and what it loaded are left alone.
    """
    accounts: dict[int, tuple[CalendarConnection, bool, str]] = {}
    for calendar in calendars:
        reading = found[calendar.id]
        account, failed, refused = accounts.get(calendar.connection_id, (calendar.connection, False, ""))
        accounts[calendar.connection_id] = (account, failed or reading.failed, refused or reading.refused)
    column, changes = CalendarConnection.read_failed_since, []
    for connection_id, (account, failed, refused) in accounts.items():
        if failed != (account.read_failed_since is not None):
            changes.append(update(CalendarConnection)
                           .where(CalendarConnection.id == connection_id, column.is_(None) if failed else column.isnot(None))
                           .values(read_failed_since=now_utc() if failed else None))
        if refused and account.status == ConnectionStatus.CONNECTED:
            changes.append(update(CalendarConnection).where(CalendarConnection.id == connection_id)
                           .values(status=ConnectionStatus.NEEDS_ATTENTION.value, attention_reason=refused))
    if changes:  # most readings change nothing: no write, no connection
        with db.engine.begin() as connection:
            for change in changes:
                connection.execute(change)


def renew(host_id: int) -> None:
    """A fresh reading found what kept ones missed: drop them and renew the host's pages everywhere."""
    from linktime.event_types.service import availability_changed

    readings().forget({calendar.id for calendar in checked_calendars(host_id)})
    availability_changed(host_id)
    db.session.commit()
