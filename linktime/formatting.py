"""Showing times and durations to people, in their own time zone and clock (12- or 24-hour)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, get_date_format, get_datetime_format, get_day_names
from babel.dates import format_time as babel_time
from babel.lists import format_list
from flask import Flask, has_request_context, request

from linktime.i18n import N_, current_locale, gettext, writing_for
from linktime.scheduling.rules import format_hours
from linktime.zones import zone_city_in, zone_label, zone_options

HOURS_COOKIE = "lt_clock"  # "12" or "24", once a visitor has chosen
ZONE_COOKIE = "lt_zone"  # the visitor's time zone, once known
_reader_hours: ContextVar[int | None] = ContextVar("reader_hours", default=None)

def _zone_words(zone: str) -> str:
    city = zone_city_in(zone, reader_locale())
    return city if city == "UTC" else gettext("%(city)s time", city=city)


@lru_cache(maxsize=256)
def locale_hours(tag: str) -> int:
    """12 or 24: the clock a language tag ('en-US', 'de-DE', 'ko') writes times with, per CLDR."""
    try:
        pattern = Locale.parse(tag, sep="-").time_formats["short"].pattern
    except (ValueError, TypeError, UnknownLocaleError):
        return 24
    return 12 if "h" in pattern or "K" in pattern else 24


@contextmanager
def clock_of_reader(hours: int, locale: str | None = None):
    """Write times on the ``hours`` clock, and words and dates in ``locale`` (None: the default),
    meanwhile: an email is read by its addressee, not by whoever's request sent it."""
    token = _reader_hours.set(hours)
    try:
        with writing_for(locale):
            yield
    finally:
        _reader_hours.reset(token)


def reader_chosen() -> bool:
    """Whether something (an email being written) has said who reads."""
    return _reader_hours.get() is not None


def reader_locale() -> str:
    """The locale dates are written in for whoever reads: an email's addressee, else the visitor."""
    return current_locale()


@lru_cache(maxsize=64)
def _date_patterns(locale: str) -> tuple[str, str]:
    """The locale's full date pattern, and the same without the year (for headings)."""
    full = get_date_format("full", locale=locale).pattern
    no_year = re.sub(r"\s*(?:'de'\s*)?y+年?|,?\s*y+", "", full).strip(" ,")
    return full, no_year


def first_weekday() -> int:
    """The reader's first day of the week (0 Monday … 6 Sunday), per CLDR."""
    return Locale.parse(reader_locale()).first_week_day


def weekday_headers() -> list[tuple[str, str]]:
    """The calendar's column heads from the reader's first weekday: (short, full) names."""
    locale = reader_locale()
    short, full = get_day_names("short", locale=locale), get_day_names("wide", locale=locale)
    start = first_weekday()
    return [(short[(start + i) % 7], full[(start + i) % 7]) for i in range(7)]


def format_month(first: date) -> str:
    """'December 2026', as the reader's locale writes a month."""
    return format_skeleton("yMMMM", first, locale=reader_locale())


def present(values, name: str) -> str | None:
    """``values[name]`` if there, else None: a MultiDict's .get() raises and catches inside when the
    key is missing, and the booking page's fast path asks for several keys that usually are."""
    return values[name] if name in values else None  # noqa: SIM401 - see above


def viewer_hours() -> int:
    """The clock of whoever is looking: their choice (``?clock=`` or its cookie), else their language's.

    Outside a request (a job writing an email) it is the 24-hour clock.
    """
    if (chosen := _reader_hours.get()) is not None:
        return chosen
    if not has_request_context():
        return 24
    asked = present(request.args, "clock") or present(request.cookies, HOURS_COOKIE)
    if asked in ("12", "24"):
        return int(asked)
    if "HTTP_ACCEPT_LANGUAGE" not in request.environ:
        return 24
    language = request.accept_languages.best
    return locale_hours(language[:35]) if language else 24


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _clock(at: datetime, hours: int) -> str:
    locale = reader_locale()
    if hours == 12:
        if locale.startswith("en"):
            return f"{at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"
        return babel_time(at, _twelve_hour_pattern(locale), locale=locale)
    return f"{at:%H:%M}"


@lru_cache(maxsize=16)
def _twelve_hour_pattern(locale: str) -> str:
    """The locale's own way of writing a time on the 12-hour clock (Japanese puts 午後 first)."""
    return str(Locale.parse(locale).datetime_skeletons.get("hm") or "h:mm a")


def _full_date(at: datetime) -> str:
    locale = reader_locale()
    return babel_date(at, _date_patterns(locale)[0], locale=locale)


def _date_and_time(day: str, clock: str) -> str:
    """A date and a time joined as the reader's locale joins them ("…, 09:00"; Japanese: "… 09:00")."""
    return str(get_datetime_format("full", locale=reader_locale())).replace("{1}", day).replace("{0}", clock)


def format_when(moment: datetime, zone: str, hours: int | None = None) -> str:
    """'Tuesday, 24 November 2026, 09:00 (Berlin time)' (or '9:00 AM' on a 12-hour clock; in en-US
    'Tuesday, November 24, 2026')."""
    at = local(moment, zone)
    return f"{_date_and_time(_full_date(at), _clock(at, hours or viewer_hours()))} ({_zone_words(zone)})"


def format_span(start: datetime, end: datetime, zone: str, hours: int | None = None) -> str:
    """'Tuesday, 24 November 2026, 09:00–09:30 (Berlin time)'."""
    at, until = local(start, zone), local(end, zone)
    hours = hours or viewer_hours()
    span = f"{_clock(at, hours)}–{_clock(until, hours)}"
    return f"{_date_and_time(_full_date(at), span)} ({_zone_words(zone)})"


def format_time(moment: datetime, zone: str, hours: int | None = None) -> str:
    """'09:00', or '9:00 AM' on a 12-hour clock (the viewer's unless ``hours`` says)."""
    return _clock(local(moment, zone), hours or viewer_hours())


def format_date(moment: datetime, zone: str) -> str:
    """The day of ``moment`` in ``zone``, short, as the reader's locale writes it: "Tue, 24 Nov 2026"."""
    return format_day(local(moment, zone).date())


def format_day(day: date) -> str:
    """A calendar day, short, as the reader's locale writes it: "Tue, 24 Nov 2026", "Di., 24. Nov. 2026"."""
    return str(format_skeleton("yMMMEd", day, locale=current_locale()))


def format_weekday(moment: datetime | date, zone: str | None = None) -> str:
    """The day of ``moment`` (in ``zone``) as a heading says it: "Tuesday, 8 December" (en-US:
    "Tuesday, December 8")."""
    at = local(moment, zone) if isinstance(moment, datetime) and zone else moment
    locale = reader_locale()
    return babel_date(at, _date_patterns(locale)[1], locale=locale)


def at_night(moment: datetime, zone: str) -> bool:
    """Whether ``moment`` falls in the night (22:00–07:00) where ``zone`` is: a time to ask about first."""
    hour = local(moment, zone).hour
    return hour >= 22 or hour < 7


def format_duration(minutes: int, say: Callable[..., Any] = gettext) -> Any:
    """"1 h 30 min" in the current language; with ``say=lazy_gettext``, translated when shown (a form's
    choices)."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return say(N_("%(hours)d h %(minutes)d min"), hours=hours, minutes=rest)
    return say(N_("%(hours)d h"), hours=hours) if hours else say(N_("%(minutes)d min"), minutes=rest)


def or_list(items: Any) -> str:
    """"Zoom or Google Meet", "Zoom oder Google Meet": choices joined as the reader's language does."""
    return str(format_list([str(item) for item in items], style="or", locale=current_locale()))


def format_series(sessions: Sequence[Any], zone: str) -> str:
    """A series in one line, in a reader's zone: "4 weekly sessions, Tuesdays 10:00".

    Where the reader's clock shows the sessions at different times (their clocks and the host's
    change on different dates, or a session was moved), each change is said with its date:
    "4 weekly sessions, Tuesdays 10:00 (11:00 from 27 October; 10:00 from 3 November)".
    """
    first = sessions[0]
    weeks = first.event_type.repeat_weeks if first.event_type else 1
    tz, hours, locale = ZoneInfo(zone), viewer_hours(), reader_locale()
    names = get_day_names("wide", locale=locale)
    moments = sorted(session.start.astimezone(tz) for session in sessions)
    runs: list[tuple[str, str, datetime]] = []  # (weekday, time, first date) of each run of equal ones
    for moment in moments:
        day, clock = names[moment.weekday()], _clock(moment, hours)
        if not runs or runs[-1][:2] != (day, clock):
            runs.append((day, clock, moment))
    day, clock, _first = runs[0]
    if weeks == 1:
        line = gettext("%(num)d weekly sessions, %(weekday)ss %(time)s", num=len(sessions), weekday=day, time=clock)
    else:
        line = gettext("%(num)d sessions every %(weeks)d weeks, %(weekday)ss %(time)s", num=len(sessions),
                       weeks=weeks, weekday=day, time=clock)
    changes = [gettext("%(time)s from %(date)s", time=later_clock, date=format_skeleton("MMMMd", start, locale=locale))
               if later_day == day else
               gettext("%(weekday)ss %(time)s from %(date)s", weekday=later_day, time=later_clock,
                       date=format_skeleton("MMMMd", start, locale=locale))
               for later_day, later_clock, start in runs[1:]]
    return line + (f" ({'; '.join(changes)})" if changes else "")


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_when, "when")
    app.add_template_filter(format_time, "clock")
    app.add_template_filter(format_span, "span")
    app.add_template_filter(format_date, "day")
    app.add_template_filter(format_day, "longdate")
    app.add_template_filter(format_weekday, "weekday")
    app.add_template_filter(format_month, "month_name")
    app.add_template_global(weekday_headers)
    app.add_template_filter(format_hours, "hours_text")
    app.add_template_global(format_series, "series_line")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(or_list, "or_list")
    app.add_template_global(lambda selected: zone_options(selected, reader_locale()), "zone_options")
    app.add_template_filter(lambda zone, at=None: zone_label(zone, at, reader_locale()), "zone_label")
    app.add_template_global(viewer_hours)
