"""Google Calendar: the client (Calendar API v3, ``client.py``), its OAuth app and scopes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linktime.calendars.google.client import GoogleCalendar
from linktime.calendars.kind import CalendarKind, OAuthApp, Scope, callback_url
from linktime.i18n import lazy_gettext as _l
from linktime.models import CalendarProvider
from linktime.privacy import ENCRYPTED, Integration

SCOPES = (
    Scope("openid", _l("Know which Google account this is")),
    Scope("email", _l("See the account's email address, to show you which one is connected")),
    Scope("https://www.googleapis.com/auth/calendar.calendarlist.readonly",
          _l("See the list of your calendars, so you can choose which ones LinkTime uses")),
    Scope("https://www.googleapis.com/auth/calendar.events.freebusy",
          _l("See when you are busy in them (only the times: no titles, people or details)")),
    Scope("https://www.googleapis.com/auth/calendar.events.owned",
          _l("Add, move and delete events for your bookings in your calendars")),
)
# Google's consent page lets the user untick each of these.
WITHHOLDABLE = "https://www.googleapis.com/auth/calendar"


def oauth_app(config: Mapping[str, Any]) -> OAuthApp:
    oauth, token = str(config["GOOGLE_OAUTH_URL"]).rstrip("/"), str(config["GOOGLE_TOKEN_URL"]).rstrip("/")
    return OAuthApp(CalendarProvider.GOOGLE, config["GOOGLE_CLIENT_ID"], config["GOOGLE_CLIENT_SECRET"],
                    f"{oauth}/o/oauth2/v2/auth", f"{token}/token", f"{token}/revoke", SCOPES,
                    callback_url(config, "google"),
                    (("access_type", "offline"), ("prompt", "consent"), ("include_granted_scopes", "false")),
                    bool(config.get("GOOGLE_SANDBOX")), float(config.get("CALENDAR_TIMEOUT", 10)), WITHHOLDABLE)


def client(config: Mapping[str, Any], access_token: str, timeout: float) -> GoogleCalendar:
    return GoogleCalendar(config["GOOGLE_API_URL"], access_token, timeout=timeout)


PRIVACY = Integration(
    _l("Google Calendar and Google Meet"),
    tuple(scope.purpose for scope in SCOPES),
    (_l("The Google account's email address"), _l("The OAuth tokens, %(encrypted)s", encrypted=ENCRYPTED),
     _l("The names of your calendars, with which ones you check and which one gets bookings"),
     _l("The id of each event and Meet conference LinkTime made")),
    (_l("The titles, people or details of your events (only busy times are read)"),
     _l("Events LinkTime did not make"), _l("Your contacts, mail or files")),
    _l("Disconnect deletes all of it at once and revokes LinkTime's access at Google."),
)

KIND = CalendarKind(CalendarProvider.GOOGLE, slug="google", company="Google", oauth_app=oauth_app,
                    oauth_client=client, manage_access="myaccount.google.com/permissions", privacy=PRIVACY)
