"""CalDAV (Nextcloud, Fastmail, iCloud, Radicale…): the client (``client.py``), reached with a
username and an app password."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app

from linktime.calendars.base import NotCalDAV, RemoteCalendar
from linktime.calendars.caldav.addresses import IPNetwork
from linktime.calendars.caldav.client import CalDAVClient, CalDAVError
from linktime.calendars.kind import CalendarKind
from linktime.i18n import gettext
from linktime.i18n import lazy_gettext as _l
from linktime.models import CalendarConnection, CalendarProvider
from linktime.privacy import ENCRYPTED, Integration

PRIVACY = Integration(
    _l("CalDAV (Nextcloud, Fastmail, iCloud, Radicale…)"),
    (_l("Read the start and end times of events in the calendars you check"),
     _l("Add, move and delete the events LinkTime makes for your bookings")),
    (_l("The server's address and your username"), _l("The app password, %(encrypted)s", encrypted=ENCRYPTED),
     _l("The names of your calendars and your choices")),
    (_l("An event's title, people or details: the server sends whole events; LinkTime uses their "
        "times and drops the rest"),),
    _l("Disconnect deletes all of it at once; revoke the app password at your provider too."),
)


def allowed_networks() -> tuple[IPNetwork, ...]:
    """CALDAV_ALLOWED_NETWORKS, read (checked at start by the configuration)."""
    text = str(current_app.config.get("CALDAV_ALLOWED_NETWORKS") or "")
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def discover(url: str, username: str, password: str) -> tuple[str, str, list[RemoteCalendar]]:
    """The account's name, its server's address and its calendars for events; or a CalendarError
    that says, in the host's words, what is wrong with what they entered."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (an impossible port raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalDAVError(gettext("Enter the server’s address, starting with https:// (for example %(example)s).",
                                  example="https://cloud.example.com"))
    if parts.username is not None or parts.password is not None:
        raise CalDAVError(gettext("Leave the username and password out of the server’s address: they have their own "
                                  "fields."))
    if not username or not password:
        raise CalDAVError(gettext("Enter the username and the app password the server gave you."))
    account = f"{username} at {parts.netloc}"
    if len(url) > 2000 or len(account) > 254 or len(password) > 1000:
        raise CalDAVError(gettext("That address, username or password is too long."))
    if any(ord(c) < 32 for c in url + username + password):
        raise CalDAVError(gettext("The address, username and password cannot contain line breaks or control "
                                  "characters."))
    found = CalDAVClient(url, username, password, timeout=float(current_app.config.get("CALENDAR_TIMEOUT", 10)),
                         allowed_networks=allowed_networks()).discover()
    if not found:
        raise NotCalDAV(gettext("%(server)s has no calendars for events in this account.", server=parts.netloc))
    return account, url, found


def client(connection: CalendarConnection, timeout: float) -> CalDAVClient:
    username = connection.account.split(" at ", 1)[0]
    return CalDAVClient(connection.server_url, username, connection.secret or "", timeout=timeout,
                        addresses=(connection.user.email,), allowed_networks=allowed_networks())


KIND = CalendarKind(CalendarProvider.CALDAV, password_client=client, password_discover=discover,
                    secret_name=_l("app password"),
                    privacy=PRIVACY)
