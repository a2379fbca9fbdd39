"""Rendered booking calendars, kept per process until availability can change.

A rendered calendar (the month, the chosen day's times and the zone picker) is stored under a key
that names everything it was made from:

- the host's ``booking_seq``, raised under the host lock by every booking, cancellation and
  reschedule and by every change to the host's event types, so each worker sees a change the
  moment it is committed, whichever worker made it;
- the host's time zone, name and username, the event type's slug, and what the invitee asked for
  (zone, month, day, page or fragment);

and it is kept only until the first instant at which the passing of time could change it: the
first shown time running into the minimum notice, a new time entering the booking window, a
midnight in the invitee's zone (today's date and the first and last months move), or the reading
of the host's calendars it was made from being renewed (see calendars/busy.py).

A visitor who is not signed in is shown the same bytes as every other such visitor, so for them
the whole answer is kept too, under the same key read by one light query (``public_stamp``): a
repeated visit loads no records and renders nothing.

The cache holds at most CAPACITY characters, least recently used out first, so what it costs a
worker stays bounded whatever addresses strangers ask for.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from threading import Lock
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from linktime.calendars.busy import known_until
from linktime.extensions import db
from linktime.models import EventType, EventTypeHost, Team, User, now_utc
from linktime.scheduling import first_start_after

CAPACITY = 8_000_000  # characters: about 170 booking pages with their time-zone picker


@dataclass(frozen=True)
class Rendered:
    html: str
    valid_until: datetime


class PageCache:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self.size = 0
        self.entries: OrderedDict[tuple, Rendered] = OrderedDict()
        self.lock = Lock()

    def get_or_render(self, key: tuple, render: Callable[[], Rendered]) -> Rendered:
        now = now_utc()
        with self.lock:
            found = self.entries.get(key)
            if found is not None and now < found.valid_until:
                self.entries.move_to_end(key)
                return found
        rendered = render()
        with self.lock:
            replaced = self.entries.pop(key, None)
            self.size += len(rendered.html) - (len(replaced.html) if replaced else 0)
            self.entries[key] = rendered
            while self.size > self.capacity and len(self.entries) > 1:
                self.size -= len(self.entries.popitem(last=False)[1].html)
        return rendered


def page_cache() -> PageCache:
    """This worker's cache (one per app, so two apps in one process never share entries)."""
    cache = current_app.extensions.get("linktime.page_cache")
    return cache if cache is not None else current_app.extensions.setdefault("linktime.page_cache", PageCache())


def calendar_key(event_type: EventType, *parts) -> tuple:
    host = event_type.host
    return (event_type.id, host.booking_seq, host.timezone, host.name, host.username, event_type.slug,
            host.brand_color, host.photo_digest, *_team_key(event_type), *parts)


def _team_key(event_type: EventType) -> tuple:
    """What else a team event type's calendar is made from: the team's name and every member's
    ``booking_seq``, zone, name and photo (each member's own changes raise their own number)."""
    team = event_type.team
    if team is None:
        return ()
    return (team.slug, team.name, event_type.scheduling,
            tuple((chosen.user_id, chosen.user.booking_seq, chosen.user.timezone, chosen.user.name,
                   chosen.user.photo_digest) for chosen in event_type.team_hosts))


_STAMP = (
    select(EventType.id, User.booking_seq, User.timezone, User.name, User.username, EventType.slug,
           User.brand_color, User.photo_digest, EventType.language)
    .join(User, EventType.host_id == User.id)
    .where(User.username == bindparam("username"), EventType.slug == bindparam("slug"),
           EventType.active.is_(True), EventType.team_id.is_(None))
)


def public_stamp(username: str, slug: str) -> tuple | None:
    """What ``calendar_key`` reads of an active event type, by its public address, without loading it.

    None when there is no such active event type (the full path then says 404 or follows a rename).
    """
    # A connection of its own, not the ORM session: plain columns need none of its bookkeeping.
    with db.engine.connect() as connection:
        row = connection.execute(_STAMP, {"username": username.lower(), "slug": slug.lower()}).first()
    return tuple(row) if row is not None else None


_ORGANISER = aliased(User)
_TEAM_STAMP = (
    select(EventType.id, _ORGANISER.booking_seq, _ORGANISER.timezone, _ORGANISER.brand_color, Team.name,
           EventType.scheduling, User.id, User.booking_seq, User.timezone, User.name, User.photo_digest,
           EventType.language)
    .join(Team, Team.id == EventType.team_id)
    .join(_ORGANISER, _ORGANISER.id == EventType.host_id)
    .join(EventTypeHost, EventTypeHost.event_type_id == EventType.id)
    .join(User, User.id == EventTypeHost.user_id)
    .where(Team.slug == bindparam("team"), EventType.slug == bindparam("slug"), EventType.active.is_(True))
    .order_by(User.id)
)


def team_stamp(team_slug: str, slug: str) -> tuple | None:
    """The same for a team's event type, in one query: its organiser (whose zone is the page's
    default, third as in ``public_stamp``), the team's name, and each host's number, zone, name
    and photo. None when there is no such active event type with hosts."""
    with db.engine.connect() as connection:
        rows = connection.execute(_TEAM_STAMP, {"team": team_slug.lower(), "slug": slug.lower()}).all()
    if not rows:
        return None
    first = rows[0]
    return (*first[:6], team_slug.lower(), slug.lower(), tuple(tuple(row[6:-1]) for row in rows), first[-1])


_TEAM_PAGE_STAMP = (
    select(Team.id, Team.name, Team.description, EventType.id, User.id, User.booking_seq, User.name,
           User.photo_digest)
    .join(EventType, EventType.team_id == Team.id)
    .join(EventTypeHost, EventTypeHost.event_type_id == EventType.id)
    .join(User, User.id == EventTypeHost.user_id)
    .where(Team.slug == bindparam("team"))
    .order_by(EventType.id, User.id)
)


def team_page_stamp(team_slug: str) -> tuple | None:
    """What a team's page is made from, in one query: the team's name and words, and each of its
    event types' hosts with their ``booking_seq`` (raised by any change to the event types), name
    and photo. None for a team with no event types (or none at all)."""
    with db.engine.connect() as connection:
        rows = connection.execute(_TEAM_PAGE_STAMP, {"team": team_slug.lower()}).all()
    if not rows:
        return None
    return ("team-page", team_slug.lower(), *rows[0][:3], tuple(tuple(row[3:]) for row in rows))


def _next_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), zone).astimezone(moment.tzinfo)


def valid_until(event_type: EventType, zone: str, shown_starts: list[datetime], window_end: datetime) -> datetime:
    """The first instant at which the calendar rendered now, for a window ending at ``window_end``, may differ."""
    now = now_utc()
    rules, tz = event_type.rules, ZoneInfo(zone)
    edge = now + rules.horizon
    moments = [_next_midnight(now, tz), _next_midnight(edge, tz) - rules.horizon]
    if shown_starts:  # the first time shown disappears when it runs into the minimum notice
        moments.append(min(shown_starts) - rules.min_notice)
    if window_end > edge:  # the next start beyond the window enters it (any member's, for a team)
        zones = [chosen.user.timezone for chosen in event_type.team_hosts] or [event_type.host.timezone]
        for member_zone in set(zones):
            upcoming = first_start_after(event_type.availability_in(member_zone), rules, edge, window_end)
            if upcoming is not None:
                moments.append(upcoming - rules.horizon)
    if (read_until := known_until()) is not None:  # the host's calendars are read again
        moments.append(read_until)
    return max(now, min(moments))
