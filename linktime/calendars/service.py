"""Calendar connections: a host's accounts, which of their calendars are checked for conflicts,
and the one that new bookings are written into."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from linktime.calendars.caldav import CalDAVClient, CalDAVError, NotCalDAV
from linktime.extensions import db
from linktime.models import CalendarConnection, CalendarProvider, ConnectedCalendar, User


def caldav_client(connection: CalendarConnection) -> CalDAVClient:
    username = connection.account.split(" at ", 1)[0]
    return CalDAVClient(connection.server_url, username, connection.secret or "")


def connect_caldav(user: User, url: str, username: str, password: str) -> CalendarConnection:
    """Check the account (its calendars are found, or CalDAVError says why) and keep it.

    Every calendar found is checked for conflicts; the first becomes the destination of new
    bookings when the host has none yet. The host changes both on the integrations page.
    """
    url, username = url.strip(), username.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CalDAVError("Enter the server's address, starting with https:// (for example https://cloud.example.com).")
    if not username or not password:
        raise CalDAVError("Enter the username and the app password the server gave you.")
    found = CalDAVClient(url, username, password).discover()
    if not found:
        raise NotCalDAV(f"{parts.netloc} has no calendars for events in this account.")
    connection = CalendarConnection(user_id=user.id, provider=CalendarProvider.CALDAV.value,
                                    account=f"{username} at {parts.netloc}", server_url=url)
    connection.secret = password
    has_destination = db.session.scalar(
        select(ConnectedCalendar.id).join(CalendarConnection)
        .where(CalendarConnection.user_id == user.id, ConnectedCalendar.is_destination.is_(True))) is not None
    for n, remote in enumerate(found):
        connection.calendars.append(ConnectedCalendar(remote_id=remote.url, name=remote.name[:200],
                                                      is_destination=not has_destination and n == 0))
    db.session.add(connection)
    db.session.commit()
    return connection


def disconnect(connection: CalendarConnection) -> None:
    """Forget the account: its secret, its calendars and the choices made about them, at once."""
    db.session.delete(connection)
    db.session.commit()
