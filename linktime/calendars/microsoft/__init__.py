"""Outlook Calendar: the client (Microsoft Graph v1.0, ``client.py``), its OAuth app and scopes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linktime.calendars.kind import CalendarKind, OAuthApp, Scope, callback_url
from linktime.calendars.microsoft.client import OutlookCalendar
from linktime.i18n import lazy_gettext as _l
from linktime.models import CalendarProvider
from linktime.privacy import ENCRYPTED, Integration

SCOPES = (
    Scope("offline_access", _l("Stay connected without asking you again")),
    Scope("User.Read", _l("See the account's email address, to show you which one is connected")),
    Scope("Calendars.ReadWrite",
          _l("See when you are busy, and add, move and delete events for your bookings "
             "(Microsoft has no narrower permission that allows both)")),
)


def oauth_app(config: Mapping[str, Any]) -> OAuthApp:
    login = f"{str(config['MICROSOFT_LOGIN_URL']).rstrip('/')}/{config['MICROSOFT_TENANT']}/oauth2/v2.0"
    return OAuthApp(CalendarProvider.OUTLOOK, config["MICROSOFT_CLIENT_ID"], config["MICROSOFT_CLIENT_SECRET"],
                    f"{login}/authorize", f"{login}/token", None, SCOPES, callback_url(config, "microsoft"),
                    (("prompt", "select_account"),), bool(config.get("MICROSOFT_SANDBOX")),
                    float(config.get("CALENDAR_TIMEOUT", 10)))


def client(config: Mapping[str, Any], access_token: str, timeout: float) -> OutlookCalendar:
    return OutlookCalendar(config["MICROSOFT_GRAPH_URL"], access_token, timeout=timeout)


PRIVACY = Integration(
    _l("Outlook Calendar"),
    tuple(scope.purpose for scope in SCOPES),
    (_l("The Microsoft account's email address"), _l("The OAuth tokens, %(encrypted)s", encrypted=ENCRYPTED),
     _l("The names of your calendars and your choices"), _l("The id of each event LinkTime made")),
    (_l("Your events' titles, people or details (only their times and free/busy state are asked for)"),
     _l("Your mail, contacts or files")),
    _l("Disconnect deletes all of it at once. Microsoft offers no way for an app to give its access "
       "back, so also remove LinkTime at myapps.microsoft.com (work) or account.live.com/consent/Manage."),
)

# Microsoft has no way for an app to revoke one grant: the host removes it there.
KIND = CalendarKind(CalendarProvider.OUTLOOK, slug="microsoft", company="Microsoft", oauth_app=oauth_app,
                    oauth_client=client, privacy=PRIVACY,
                    manage_access="myapps.microsoft.com (work or school) or account.live.com/consent/Manage "
                                  "(personal)")
