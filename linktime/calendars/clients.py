"""The client that reaches a connected calendar account: made from its kind (``registry.py``),
with its credentials (an OAuth access token renewed when due, or its username and password)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from linktime.calendars import oauth
from linktime.calendars.base import CalendarClient, Expired, OAuthCalendarClient
from linktime.calendars.registry import kind_of
from linktime.models import CalendarConnection, CalendarProvider

T = TypeVar("T")


def _timeout(timeout: float | None) -> float:
    return timeout or float(current_app.config.get("CALENDAR_TIMEOUT", 10))


def oauth_client(provider: CalendarProvider, access_token: str, timeout: float | None = None) -> OAuthCalendarClient:
    """The provider's client with an access token, on the configured API (the real one or the sandbox)."""
    make = kind_of(provider).oauth_client
    assert make is not None, provider
    return make(current_app.config, access_token, _timeout(timeout))


def client_for(connection: CalendarConnection, *, timeout: float | None = None, force: bool = False) -> CalendarClient:
    """The client that reaches this account, with its credentials (an OAuth token refreshed when
    it is about to expire, or when ``force``: it was just refused)."""
    kind = kind_of(connection.provider_kind)
    if kind.oauth_client is not None:
        return oauth_client(kind.provider, oauth.access_token(connection, force=force), timeout)
    assert kind.password_client is not None, kind.provider
    return kind.password_client(connection, _timeout(timeout))


def with_client(connection: CalendarConnection, action: Callable[[CalendarClient], T]) -> T:
    """Run ``action`` with the account's client; a refused OAuth token is refreshed and tried once more."""
    try:
        return action(client_for(connection))
    except Expired:
        if kind_of(connection.provider_kind).oauth_client is None:
            raise
        return action(client_for(connection, force=True))
