"""CalDAV (Nextcloud, Fastmail, iCloud, Radicale…): the client (``client.py``), reached with a
username and an app password."""
from __future__ import annotations

from linktime.calendars.registry import CalendarKind, register
from linktime.models import CalendarProvider


def client(connection, timeout: float):
    from linktime.calendars.caldav.client import CalDAVClient

    username = connection.account.split(" at ", 1)[0]
    return CalDAVClient(connection.server_url, username, connection.secret or "", timeout=timeout,
                        addresses=(connection.user.email,))


register(CalendarKind(CalendarProvider.CALDAV, password_client=client, secret_name="app password"))
