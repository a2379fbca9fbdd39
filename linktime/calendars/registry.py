"""The calendar providers, each a folder (``google/``, ``microsoft/``, ``caldav/``) that states one
``CalendarKind`` (``kind.py``), listed here in the order their cards are shown. The shared code asks
the registry; a new provider is one more folder and one more entry below.
"""
from __future__ import annotations

from linktime.calendars import caldav, google, microsoft
from linktime.calendars.kind import CalendarKind
from linktime.models import CalendarProvider

KINDS = (google.KIND, microsoft.KIND, caldav.KIND)
_kinds: dict[CalendarProvider, CalendarKind] = {kind.provider: kind for kind in KINDS}


def kind_of(provider: CalendarProvider) -> CalendarKind:
    return _kinds[provider]


def all_kinds() -> list[CalendarKind]:
    return list(_kinds.values())


def oauth_kinds() -> list[CalendarKind]:
    """The providers connected by OAuth, in the order their cards are shown."""
    return [kind for kind in _kinds.values() if kind.oauth_app is not None]


def by_slug(slug: str) -> CalendarKind | None:
    return next((kind for kind in oauth_kinds() if kind.slug == slug), None)
