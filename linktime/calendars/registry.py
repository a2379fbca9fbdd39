"""The calendar providers, each a folder (``google/``, ``microsoft/``, ``caldav/``) that registers
one ``CalendarKind`` here: how its accounts connect (OAuth, or a username and password), how
its client is made, what Disconnect can do there. The shared code asks the registry; a new
provider is one more folder.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linktime.models import CalendarProvider

if TYPE_CHECKING:
    from flask import Config

    from linktime.calendars.base import CalendarClient, OAuthCalendarClient, RemoteCalendar
    from linktime.calendars.oauth import OAuthApp
    from linktime.models import CalendarConnection
    from linktime.privacy import Integration


@dataclass(frozen=True)
class CalendarKind:
    provider: CalendarProvider
    # OAuth providers: the name in their fixed callback URL and settings, the company, the app
    # (from the configuration), and the client made with an access token.
    slug: str = ""
    company: str = ""
    oauth_app: Callable[[Config], OAuthApp] | None = None
    oauth_client: Callable[[Config, str, float], OAuthCalendarClient] | None = None
    # The others: the client made from the connection (its username and password).
    password_client: Callable[[CalendarConnection, float], CalendarClient] | None = None
    # …and how an account is checked before it is kept: (url, username, password) → (account's
    # name, server address, its calendars), or a CalendarError in the host's words.
    password_discover: Callable[[str, str, str], tuple[str, str, list[RemoteCalendar]]] | None = None
    # Where the host removes LinkTime's access by hand (when revoking did not happen, or cannot).
    manage_access: str = ""
    secret_name: str = "access tokens"  # what Disconnect deletes, in words
    privacy: Integration | None = None  # what it reads, stores and never touches (Data & privacy)


_kinds: dict[CalendarProvider, CalendarKind] = {}


def register(kind: CalendarKind) -> None:
    _kinds[kind.provider] = kind


def kind_of(provider: CalendarProvider) -> CalendarKind:
    _load()
    return _kinds[provider]


def all_kinds() -> list[CalendarKind]:
    _load()
    return list(_kinds.values())


def oauth_kinds() -> list[CalendarKind]:
    """The providers connected by OAuth, in the order their cards are shown."""
    _load()
    return [kind for kind in _kinds.values() if kind.oauth_app is not None]


def by_slug(slug: str) -> CalendarKind | None:
    return next((kind for kind in oauth_kinds() if kind.slug == slug), None)


def _load() -> None:
    import linktime.calendars.caldav
    import linktime.calendars.google
    import linktime.calendars.microsoft  # noqa: F401 - registers the kind
