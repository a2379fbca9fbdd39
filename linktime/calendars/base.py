"""The calendar boundary: what LinkTime asks of a host's calendar account, in plain data.

A provider's client (Google, Outlook, CalDAV: one folder each) knows *how*; the
conflict reader (``calendars/busy.py``) and the event reconciler (``calendars/events.py``) decide
*what*. Three things are asked of an account:

- the busy times of some of its calendars in a window (free, declined and cancelled events left out);
- LinkTime's own event for a booking written (created or replaced, under a key chosen by LinkTime,
  so a retried write never makes a second event);
- that event removed (already gone is done).

Every failure is a ``CalendarError`` a host can act on, said in their words.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class CalendarError(Exception):
    """Something the host can act on, said in their words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreachable(CalendarError):
    """No useful answer now (network, timeout, 5xx, 429): try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Expired(Unreachable):
    """The access token was refused: refresh it and try again."""


class NotFound(CalendarError):
    """The event is not there (deleted in the calendar, or never made)."""


class Changed(CalendarError):
    """A conditional write found the event other than as we last wrote it (or already there);
    ``remote_id`` says what it is now (None: gone). The next pass writes against that."""

    def __init__(self, message: str, *, remote_id: str | None):
        super().__init__(message)
        self.remote_id = remote_id


class WrongPassword(CalendarError):
    """The account refused the credentials (a changed password, a revoked grant): reconnect."""


class NotCalDAV(CalendarError):
    """The address is not a CalDAV server, or it answered something LinkTime cannot use."""


@dataclass(frozen=True)
class RemoteCalendar:
    url: str  # the calendar's id or address at the provider
    name: str


@dataclass(frozen=True)
class BusyTime:
    start: datetime  # UTC
    end: datetime


@dataclass(frozen=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True)
class EventDetails:
    """LinkTime's event for one booking, as the host's calendar should hold it."""

    uid: str  # the booking's invite UID: calendars that see the emailed invite too show one event
    sequence: int
    summary: str
    start: datetime
    end: datetime
    timezone: str  # the host's, for providers that want one
    location: str
    description: str
    url: str
    organizer: Person
    attendees: tuple[Person, ...]


class CalendarClient(Protocol):
    def busy(self, calendar_id: str, start: datetime, end: datetime, *, zone: str = "UTC") -> list[BusyTime]: ...

    def put_event(self, calendar_id: str, details: EventDetails, remote_id: str | None) -> str:
        """Create or replace the event; returns its id at the provider (kept for later changes)."""

    def delete_event(self, calendar_id: str, uid: str, remote_id: str | None) -> None: ...


class OAuthCalendarClient(CalendarClient, Protocol):
    """A client signed in with an OAuth token (Google, Outlook): it also names its account and
    lists the calendars LinkTime may write to."""

    def email(self) -> str: ...

    def calendars(self) -> list[RemoteCalendar]: ...
