"""What a calendar provider's folder states about itself (``CalendarKind``): how its accounts
connect (OAuth with these scopes, or a username and password), how its client is made, what
Disconnect can do there, and what it reads and keeps. ``registry.py`` lists the kinds."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linktime.i18n import lazy_gettext
from linktime.models import CalendarProvider

if TYPE_CHECKING:
    from flask import Config

    from linktime.calendars.base import CalendarClient, OAuthCalendarClient, RemoteCalendar
    from linktime.models import CalendarConnection
    from linktime.privacy import Integration


@dataclass(frozen=True)
class Scope:
    name: str
    purpose: str


@dataclass(frozen=True)
class OAuthApp:
    provider: CalendarProvider
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str | None  # None: the provider has no way to revoke one grant
    scopes: tuple[Scope, ...]
    redirect_uri: str
    extra: tuple[tuple[str, str], ...]
    sandbox: bool
    timeout: float = 10.0
    # The scopes (by this prefix) a user can untick on the consent page; the token answer's
    # "scope" then says which were granted. "" when consent is all or nothing.
    withholdable: str = ""


def callback_url(config: Mapping[str, Any], slug: str) -> str:
    return f"{str(config['BASE_URL']).rstrip('/')}/integrations/{slug}/callback"


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
    secret_name: str = lazy_gettext("access tokens")  # what Disconnect deletes, in words
    privacy: Integration | None = None  # what it reads, stores and never touches (Data & privacy)
