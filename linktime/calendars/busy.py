"""Busy times from the calendars a host checks for conflicts: read concurrently, kept briefly.

A booking page shows the host's free times; each calendar the host checked is read for the
window the page shows (all at once, one thread each), and what was read is kept for ``FRESH``
per calendar and window in this process, so a busy page costs each calendar server one request
a minute, whatever the number of visitors. The page cache keeps a page no longer than the reads it
was made from (``known_until``).

A calendar that cannot be read does not break the page: the page shows the last good reading of
that window (up to ``STALE``), or the times known from everything else, and says so; the account
records since when it could not be read (the host sees "could not be read since 10:42"). The
failure is kept as long as a reading would be, so a dead server costs a visitor at most one wait
of ``PAGE_WAIT``. That is also all a request may spend waiting on calendars in all, however many
windows it reads (a series' sessions, say): once it is spent, the rest is answered from what is
known, without reading.

A booking reads its slot's day once more, fresh (or as read for another booking in the last
``BOOKING_AGE``), just before its transaction: an event added a minute ago blocks the time even
while pages still show it (and those pages are then renewed). A checked calendar that cannot be
read then refuses the booking (``CalendarsUnreadable``): a time is never confirmed unchecked.

Hosts are kept apart: each reading runs on a thread of its own, within its client's total
deadline, and an account has at most ``PER_ACCOUNT`` readings running at once — a calendar server
that drips, or a calendar built to be costly, slows nobody's page but its own host's.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import cast

from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from linktime.calendars.base import BusyTime, CalendarClient, CalendarError, Expired, WrongPassword
from linktime.calendars.clients import client_for
from linktime.extensions import db
from linktime.host_lock import availability_changed
from linktime.i18n import gettext
from linktime.models import CalendarConnection, ConnectedCalendar, ConnectionStatus, now_utc

log = logging.getLogger(__name__)

FRESH = timedelta(seconds=60)  # how long a reading is used
# Every reading any process still uses was made within this: where LinkTime's own events were
# before a move or removal is remembered this long, so no such reading counts them as busy.
READINGS_OUTLIVE = 2 * FRESH
BOOKING_AGE = timedelta(seconds=10)  # how old a reading a booking may use (a burst of bookings shares one)
PAGE_WAIT = 5.0  # seconds a page waits for all its calendars together
CAPACITY = 4096  # readings kept per process (calendar × window), least recently used out first
STALE = timedelta(hours=6)  # how old a good reading a page may still show while the calendar fails
PER_ACCOUNT = 2  # readings of one account running at once in a process


class CalendarsUnreadable(Exception):
    """A checked calendar could not be read fresh: a booking is not confirmed unchecked."""

    def __init__(self, host_name: str):
        super().__init__(gettext("%(name)s’s calendar could not be checked just now, so this time cannot be "
                                 "confirmed. Please try again in a minute.", name=host_name))


@dataclass(frozen=True)
class Reading:
    busy: tuple[BusyTime, ...]
    until: datetime  # used until then (read FRESH before it)
    failed: bool = False
    refused: str = ""  # the account refused the password: why, in the host's words
    warning: str = ""  # what the reading could not do in full (an event too dear to expand, …)
    read_at: datetime | None = None  # when it was read (a good reading)


# A reading's key: the calendar, and the window read.
Key = tuple[int, datetime, datetime]


class ReadingCache:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self.entries: OrderedDict[Key, Reading] = OrderedDict()
        self.good: OrderedDict[Key, Reading] = OrderedDict()  # the last reading that worked, per key
        self.lock = Lock()

    def get(self, key: Key) -> Reading | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or found.until <= now_utc():
                return None
            self.entries.move_to_end(key)
            return found

    def last_good(self, key: Key) -> Reading | None:
        """The last reading of ``key`` that worked, while it is less than STALE old."""
        with self.lock:
            found = self.good.get(key)
        return found if found is not None and found.read_at and found.read_at > now_utc() - STALE else None

    def put(self, key: Key, reading: Reading) -> None:
        with self.lock:
            self.entries[key] = reading
            self.entries.move_to_end(key)
            if not reading.failed:
                self.good[key] = reading
                self.good.move_to_end(key)
            for kept in (self.entries, self.good):
                while len(kept) > self.capacity:
                    kept.popitem(last=False)

    def forget(self, calendar_ids: set[int]) -> None:
        with self.lock:
            for kept in (self.entries, self.good):
                for key in [key for key in kept if key[0] in calendar_ids]:
                    del kept[key]


def readings() -> ReadingCache:
    """This worker's readings (one cache per app)."""
    cache = current_app.extensions.get("linktime.busy_readings")
    if cache is None:
        cache = current_app.extensions.setdefault("linktime.busy_readings", ReadingCache())
    return cast(ReadingCache, cache)


_running: dict[int, int] = {}  # account id → its readings running now, in this process
_running_lock = Lock()


def _start(account_id: int, read: Callable[[], list[BusyTime]]) -> Future[list[BusyTime]] | None:
    """Run ``read`` on a thread of its own, unless the account has PER_ACCOUNT readings running
    already (its server is slow: it does not get more of this process). None then."""
    with _running_lock:
        if _running.get(account_id, 0) >= PER_ACCOUNT:
            return None
        _running[account_id] = _running.get(account_id, 0) + 1
    future: Future[list[BusyTime]] = Future()

    def run() -> None:
        try:
            future.set_result(read())
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(error)
        finally:
            with _running_lock:
                _running[account_id] -= 1
                if not _running[account_id]:
                    del _running[account_id]

    threading.Thread(target=run, name=f"linktime-calendar-{account_id}", daemon=True).start()
    return future


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
                 max_age: timedelta = FRESH, strict: bool = False) -> list[BusyTime]:
    """What the host's checked calendars hold in [start, end), from readings at most ``max_age`` old.

    ``strict`` (a booking): every checked calendar must have been read, or CalendarsUnreadable.
    Otherwise (a page) a calendar that failed counts with its last good reading, if any. Records in
    ``g`` until when the answer holds (see ``known_until``) and since when it is not fresh
    (see ``stale_since``).
    """
    calendars = checked_calendars(host_id)
    if not calendars:
        return []
    budget = _budget()

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
    # An account that needs attention (its access refused) is the host's to fix, and they are told:
    # it counts as free meanwhile. Any other calendar not read now — down, slow, past its share —
    # might hold the time.
    attention = {calendar.id for calendar in calendars if calendar.connection.needs_attention}
    unread = skipped or any(reading.failed and not reading.refused and calendar_id not in attention
                            for calendar_id, reading in found.items())
    if strict and unread:
        raise CalendarsUnreadable(calendars[0].connection.user.name)
    return _busy_from(found, skipped, cache, start, end)


def _busy_from(found: dict[int, Reading], skipped: bool, cache: ReadingCache, start: datetime,
               end: datetime) -> list[BusyTime]:
    """The busy times of these readings (a failed one by its last good reading, if any), noting in
    ``g`` until when they hold and since when they are not fresh."""
    # A page made without reading some calendar is not kept at all.
    until = min([reading.until for reading in found.values()] + ([now_utc()] if skipped else []))
    g.linktime_busy_until = min(until, g.get("linktime_busy_until", until))
    busy: list[BusyTime] = []
    for calendar_id, reading in found.items():
        if reading.failed and (last := cache.last_good((calendar_id, start, end))) is not None:
            reading = last  # what was there when it last could be read
            g.linktime_busy_stale = min(last.read_at, g.get("linktime_busy_stale", last.read_at))
        elif reading.failed:
            g.linktime_busy_stale = g.get("linktime_busy_stale") or now_utc()
        busy += reading.busy
    if skipped:
        g.linktime_busy_stale = g.get("linktime_busy_stale") or now_utc()
    return busy


def known_until() -> datetime | None:
    """The earliest instant a calendar reading used in this request stops being used, if any."""
    return cast(datetime | None, g.get("linktime_busy_until"))


def stale_since() -> datetime | None:
    """When the oldest calendar reading this request showed instead of a fresh one was made (now,
    when a calendar could not be read at all); None when every calendar was read fresh."""
    return g.get("linktime_busy_stale") if has_request_context() else None


def _budget() -> float:
    """Seconds this request may still wait on calendars (PAGE_WAIT in all, from its first read)."""
    if not has_request_context():
        return PAGE_WAIT
    deadline = float(g.setdefault("linktime_busy_deadline", time.monotonic() + PAGE_WAIT))
    return max(0.0, deadline - time.monotonic())


def _read_all(wanted: dict[int, tuple[ConnectedCalendar, CalendarClient]], start: datetime, end: datetime,
              zone: str, client_for: Callable[..., CalendarClient], budget: float) -> dict[int, Reading]:
    """Every wanted calendar read at once, each on its own thread; one that fails, is too slow, or
    whose account has readings running already, is not read now."""
    def reading_of(calendar: ConnectedCalendar, client: CalendarClient) -> Callable[[], list[BusyTime]]:
        return lambda: client.busy(calendar.remote_id, start, end, zone=zone)

    futures = {calendar_id: _start(calendar.connection_id, reading_of(calendar, client))
               for calendar_id, (calendar, client) in wanted.items()}
    wait([future for future in futures.values() if future is not None], timeout=budget)
    until = now_utc() + FRESH
    result = {}
    for calendar_id, future in futures.items():
        calendar, client = wanted[calendar_id]
        if future is None or not future.done():
            log.warning("calendar %s took more than %ss to read", calendar_id, PAGE_WAIT)
            result[calendar_id] = Reading((), until, failed=True)
            continue
        error = future.exception()
        if isinstance(error, Expired):  # its access token was refused: renewed here, and read again
            try:
                client = client_for(calendar.connection, timeout=PAGE_WAIT, force=True)
                result[calendar_id] = Reading(tuple(client.busy(calendar.remote_id, start, end, zone=zone)), until,
                                              warning=getattr(client, "warning", ""), read_at=now_utc())
                continue
            except Exception as again:  # noqa: BLE001 - said below like any failed reading
                error = again
        result[calendar_id] = _failed(calendar_id, error, until) if error is not None else Reading(
            tuple(future.result()), until, warning=getattr(client, "warning", ""), read_at=now_utc())
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
    accounts: dict[int, tuple[CalendarConnection, bool, str, str]] = {}
    for calendar in calendars:
        reading = found[calendar.id]
        account, failed, refused, warning = accounts.get(calendar.connection_id, (calendar.connection, False, "", ""))
        accounts[calendar.connection_id] = (account, failed or reading.failed, refused or reading.refused,
                                            warning or reading.warning)
    column, changes = CalendarConnection.read_failed_since, []
    for connection_id, (account, failed, refused, warning) in accounts.items():
        if failed != (account.read_failed_since is not None):
            changes.append(
                update(CalendarConnection)
                .where(CalendarConnection.id == connection_id, column.is_(None) if failed else column.isnot(None))
                .values(read_failed_since=now_utc() if failed else None)
            )
        if not failed and warning != account.read_warning:
            changes.append(update(CalendarConnection).where(CalendarConnection.id == connection_id)
                           .values(read_warning=warning[:500]))
        if refused and account.status == ConnectionStatus.CONNECTED:
            changes.append(update(CalendarConnection).where(CalendarConnection.id == connection_id)
                           .values(status=ConnectionStatus.NEEDS_ATTENTION.value, attention_reason=refused))
    if changes:  # most readings change nothing: no write, no connection
        with db.engine.begin() as connection:
            for change in changes:
                connection.execute(change)


def renew(host_id: int) -> None:
    """A fresh reading found what kept ones missed: drop them and renew the host's pages everywhere."""
    readings().forget({calendar.id for calendar in checked_calendars(host_id)})
    availability_changed(host_id)
    db.session.commit()
