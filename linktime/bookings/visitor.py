"""What a booking page knows of its visitor, from the request: the instant, day or month a link
names, the visitor's time zone and clock (and the cookies that keep them), and whether the page is
framed on another site. Shared by the invitee's and the host's booking pages and by web policy."""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask import request

from linktime.formatting import HOURS_COOKIE, ZONE_COOKIE, local, present
from linktime.zones import is_timezone


def parse_start(value: str | None) -> datetime | None:
    """An ISO 8601 instant with its offset (as in our slot links), else None."""
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))
        return moment.astimezone(UTC) if moment.tzinfo else None
    except (ValueError, OverflowError):  # not a time, or one at the very edge of the calendar
        return None


def parse_month(value: str | None) -> date | None:
    """'2026-12' as the first of that month, else None (by hand: strptime costs the fast path 25 µs)."""
    if not value or len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[5:]), 1)
    except ValueError:
        return None


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


# The pages a host may put on their own website (Event Types → Embed), in frames, with ?embed=1.
EMBEDDABLE = {"bookings.event_page", "bookings.book", "bookings.manage", "teams.event_page", "teams.book"}


def embedded() -> bool:
    """Whether this page is shown inside another website's frame (its own chrome left out).

    Forms in that mode post to an address that says so too: the body is never parsed to find out.
    """
    return present(request.args, "embed") == "1" and request.endpoint in EMBEDDABLE


def visitor_zone() -> str | None:
    """The zone the visitor's request carries (the page's ``tz`` parameter, or its cookie), if any."""
    for zone in (present(request.values, "tz"), present(request.cookies, ZONE_COOKIE)):
        if is_timezone(zone):
            return zone
    return None


def viewer_zone(fallback: str) -> str:
    """The invitee's time zone from the page's ``tz`` parameter or its cookie, else ``fallback``."""
    return visitor_zone() or fallback


def zone_known() -> bool:
    """Whether the visitor's own zone came with the request (else the page asks the browser for it)."""
    return visitor_zone() is not None


def remember_choices(response):
    """Keep the zone and clock a visitor chose for their next booking page, on any host's (a year).

    (The page depends on both cookies and on Accept-Language: security_headers says so in Vary.)
    """
    if "tz" not in request.args and "clock" not in request.args:
        return response
    zone, hours = present(request.args, "tz"), present(request.args, "clock")
    if is_timezone(zone) and zone != present(request.cookies, ZONE_COOKIE):
        response.set_cookie(ZONE_COOKIE, zone, max_age=365 * 86400, samesite="Lax", httponly=True)
    if hours in ("12", "24") and hours != present(request.cookies, HOURS_COOKIE):
        response.set_cookie(HOURS_COOKIE, hours, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def local_day(moment: datetime, zone: str) -> date:
    return local(moment, zone).date()
