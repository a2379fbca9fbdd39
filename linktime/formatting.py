"""Showing times and durations to people, in their own time zone."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask
from markupsafe import Markup, escape


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    """IANA zone names people pick from (no legacy aliases like 'US/Eastern' or 'Etc/GMT+5')."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return tuple(sorted(names | {"UTC"}))


@lru_cache(maxsize=1)
def _zone_options() -> str:
    return "".join(f'<option value="{name}">{name.replace("_", " ")}</option>' for name in all_timezones())


def zone_options(selected: str) -> Markup:
    """The <option>s of every zone, ``selected`` chosen (listed first when it is an alias).

    Written once per process: the list is the same on every booking page.
    """
    options = _zone_options()
    chosen = f'<option value="{escape(selected)}">'
    if chosen in options:
        return Markup(options.replace(chosen, chosen[:-1] + " selected>", 1))
    return Markup(f'<option value="{escape(selected)}" selected>{escape(selected)}</option>' + options)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str | None) -> bool:
    """Any IANA name zoneinfo knows, aliases included (browsers report some)."""
    return bool(name) and name in _known_zones()


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def format_when(moment: datetime, zone: str) -> str:
    """'Tuesday, 24 November 2026, 09:00 (Europe/Berlin)'."""
    at = local(moment, zone)
    return f"{at:%A}, {at.day} {at:%B %Y}, {at:%H:%M} ({zone})"


def format_span(start: datetime, end: datetime, zone: str) -> str:
    """'Tuesday, 24 November 2026, 09:00–09:30 (Europe/Berlin)'."""
    at, until = local(start, zone), local(end, zone)
    return f"{at:%A}, {at.day} {at:%B %Y}, {at:%H:%M}–{until:%H:%M} ({zone})"


def format_time(moment: datetime, zone: str) -> str:
    return f"{local(moment, zone):%H:%M}"


def format_date(moment: datetime, zone: str) -> str:
    at = local(moment, zone)
    return f"{at:%a} {at.day} {at:%b %Y}"


def format_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def format_series(sessions: list, zone: str) -> str:
    """A series in one line, in a reader's zone: "4 weekly sessions, Tuesdays 10:00"."""
    first = sessions[0]
    moment = first.start.astimezone(ZoneInfo(zone))
    weeks = first.event_type.repeat_weeks if first.event_type else 1
    every = "weekly sessions" if weeks == 1 else f"sessions every {weeks} weeks"
    return f"{len(sessions)} {every}, {moment.strftime('%A')}s {moment.strftime('%H:%M')}"


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_when, "when")
    app.add_template_filter(format_time, "clock")
    app.add_template_filter(format_span, "span")
    app.add_template_filter(format_date, "day")
    app.add_template_global(format_series, "series_line")
    app.add_template_filter(format_duration, "duration")
    app.add_template_global(zone_options)
