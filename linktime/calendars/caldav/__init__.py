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
from linktime.models import CalendarConnection, CalendarProvider
from linktime.privacy import ENCRYPTED, Integration

PRIVACY = Integration(
    "CalDAV (Nextcloud, Fastmail, iCloud, Radicale…)",
    ("Read the start and end times of events in the calendars you check",
     "Add, move and delete the events LinkTime makes for your bookings"),
    ("The server's address and your username", f"The app password, {ENCRYPTED}",
     "The names of your calendars and your choices"),
    ("An event's title, people or details: the server sends whole events; LinkTime uses their "
     "times and drops the rest",),
    "Disconnect deletes all of it at once; revoke the app password at your provider too.",
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
        raise CalDAVError("Enter the server's address, starting with https:// (for example https://cloud.example.com).")
    if parts.username is not None or parts.password is not None:
        raise CalDAVError("Leave the username and password out of the server's address: they have their own fields.")
    if not username or not password:
        raise CalDAVError("Enter the username and the app password the server gave you.")
    account = f"{username} at {parts.netloc}"
    if len(url) > 2000 or len(account) > 254 or len(password) > 1000:
        raise CalDAVError("That address, username or password is too long.")
    if any(ord(c) < 32 for c in url + username + password):
        raise CalDAVError("The address, username and password cannot contain line breaks or control characters.")
    found = CalDAVClient(url, username, password, timeout=float(current_app.config.get("CALENDAR_TIMEOUT", 10)),
                         allowed_networks=allowed_networks()).discover()
    if not found:
        raise NotCalDAV(f"{parts.netloc} has no calendars for events in this account.")
    return account, url, found


def client(connection: CalendarConnection, timeout: float) -> CalDAVClient:
    username = connection.account.split(" at ", 1)[0]
    return CalDAVClient(connection.server_url, username, connection.secret or "", timeout=timeout,
                        addresses=(connection.user.email,), allowed_networks=allowed_networks())


KIND = CalendarKind(CalendarProvider.CALDAV, password_client=client, password_discover=discover,
                    secret_name="app password",
                    privacy=PRIVACY)
