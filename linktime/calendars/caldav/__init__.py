"""CalDAV (Nextcloud, Fastmail, iCloud, Radicale…): the client (``client.py``), reached with a
username and an app password."""
from __future__ import annotations

from urllib.parse import urlsplit

from linktime.calendars.registry import CalendarKind, register
from linktime.models import CalendarProvider
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


def discover(url: str, username: str, password: str) -> tuple[str, str, list]:
    """The account's name, its server's address and its calendars for events; or a CalendarError
    that says, in the host's words, what is wrong with what they entered."""
    from linktime.calendars.caldav.client import CalDAVClient, CalDAVError, NotCalDAV

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CalDAVError("Enter the server's address, starting with https:// (for example https://cloud.example.com).")
    if not username or not password:
        raise CalDAVError("Enter the username and the app password the server gave you.")
    if len(url) > 2000 or len(username) > 200 or len(password) > 1000:
        raise CalDAVError("That address, username or password is too long.")
    found = CalDAVClient(url, username, password).discover()
    if not found:
        raise NotCalDAV(f"{parts.netloc} has no calendars for events in this account.")
    return f"{username} at {parts.netloc}", url, found


def client(connection, timeout: float):
    from linktime.calendars.caldav.client import CalDAVClient

    username = connection.account.split(" at ", 1)[0]
    return CalDAVClient(connection.server_url, username, connection.secret or "", timeout=timeout,
                        addresses=(connection.user.email,))


register(CalendarKind(CalendarProvider.CALDAV, password_client=client, password_discover=discover,
                      secret_name="app password",
                      privacy=PRIVACY))
