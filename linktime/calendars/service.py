"""Calendar connections: a host's accounts, which of their calendars are checked for conflicts,
and the one that new bookings are written into."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from linktime import audit
from linktime.calendars import events, oauth
from linktime.calendars.base import NotCalDAV, RemoteCalendar
from linktime.calendars.clients import oauth_client
from linktime.calendars.registry import kind_of
from linktime.extensions import db
from linktime.host_lock import availability_changed
from linktime.jobs.runner import run_soon
from linktime.models import CalendarConnection, CalendarProvider, ConnectedCalendar, ConnectionStatus, User


def connect_oauth(user: User, provider: CalendarProvider, tokens: oauth.Tokens,
                  claims: dict[str, Any]) -> CalendarConnection:
    """Keep a Google or Outlook account the host allowed: its calendars listed, the tokens sealed.

    The same account connected again keeps the choices made about its calendars.
    """
    client = oauth_client(provider, tokens.access_token)
    account = str(claims.get("email") or "") or client.email()
    found = client.calendars()
    if not account or not found:
        raise NotCalDAV(f"{provider.label} has no calendar this account can add events to.")
    connection = db.session.scalar(select(CalendarConnection).where(
        CalendarConnection.user_id == user.id, CalendarConnection.provider == provider.value,
        CalendarConnection.account == account[:254]))
    if connection is None:
        connection = CalendarConnection(user_id=user.id, provider=provider.value, account=account[:254])
        db.session.add(connection)
    else:  # renewed: a process holding the old tokens reads these instead of renewing those
        connection.token_version += 1
        connection.refresh_claimed_until = None
    connection.secret = tokens.to_json()
    _connected(user, connection, found)
    return connection


def _connected(user: User, connection: CalendarConnection, found: list[RemoteCalendar]) -> None:
    connection.status, connection.attention_reason = ConnectionStatus.CONNECTED.value, ""
    connection.read_failed_since = None
    _keep_calendars(user, connection, found)
    _renew_pages(user.id)
    label = connection.provider_kind.label
    audit.record(user.id, "calendar.connected", f"Connected the {label} account {connection.account} "
                 f"({', '.join(sorted(c.name for c in connection.calendars))}).")
    db.session.flush()
    jobs = events.resume(connection.id)  # what failed while it could not be reached is written now
    db.session.commit()
    run_soon(jobs)


def _renew_pages(user_id: int) -> None:
    """What the host's calendars block changed: every worker renders their booking pages again."""
    availability_changed(user_id)


def connections(user: User) -> list[CalendarConnection]:
    return list(db.session.scalars(select(CalendarConnection).where(CalendarConnection.user_id == user.id)
                                   .order_by(CalendarConnection.connected_at, CalendarConnection.id)))


def troubled_connections(user: User) -> list[CalendarConnection]:
    """The host's accounts that need attention or could not be read lately (the dashboard says so)."""
    return [c for c in connections(user) if c.needs_attention or c.read_failed_since or c.read_warning]


def own_connection(user: User, connection_id: int) -> CalendarConnection | None:
    """One of the host's accounts; anyone else's is None."""
    connection = db.session.get(CalendarConnection, connection_id)
    return connection if connection is not None and connection.user_id == user.id else None


def connect_with_password(user: User, provider: CalendarProvider, url: str, username: str,
                          password: str) -> CalendarConnection:
    """Check the account (its calendars are found, or a CalendarError says why) and keep it.

    Every calendar found is checked for conflicts; the first becomes the destination of new
    bookings when the host has none yet. The host changes both on the integrations page. The same
    account connected again (a new app password) keeps the choices made about its calendars.
    """
    discover = kind_of(provider).password_discover
    assert discover is not None, provider
    account, server_url, found = discover(url.strip(), username.strip(), password)
    connection = db.session.scalar(select(CalendarConnection).where(
        CalendarConnection.user_id == user.id, CalendarConnection.provider == provider.value,
        CalendarConnection.account == account))
    if connection is None:
        connection = CalendarConnection(user_id=user.id, provider=provider.value, account=account)
        db.session.add(connection)
    connection.server_url, connection.secret = server_url, password
    _connected(user, connection, found)
    return connection


def _keep_calendars(user: User, connection: CalendarConnection, found: list[RemoteCalendar]) -> None:
    """The account's calendars as found now: new ones checked, gone ones dropped, choices kept."""
    known = {calendar.remote_id: calendar for calendar in connection.calendars}
    for remote in found:
        if remote.url in known:
            known.pop(remote.url).name = remote.name[:200]
        else:
            connection.calendars.append(ConnectedCalendar(remote_id=remote.url, name=remote.name[:200]))
    for gone in known.values():
        connection.calendars.remove(gone)
    db.session.flush()
    if destination_of(user) is None:
        connection.calendars[0].is_destination = True


def destination_of(user: User) -> ConnectedCalendar | None:
    return db.session.scalar(
        select(ConnectedCalendar).join(CalendarConnection)
        .where(CalendarConnection.user_id == user.id, ConnectedCalendar.is_destination.is_(True)).limit(1))


def choose(user: User, checked: set[int], destination: int | None) -> None:
    """Which of the host's calendars are checked for conflicts, and which one new bookings go to
    (None: none). Ids of calendars that are not the host's are ignored."""
    for connection in connections(user):
        for calendar in connection.calendars:
            calendar.check_conflicts = calendar.id in checked
            calendar.is_destination = calendar.id == destination
    _renew_pages(user.id)
    db.session.commit()


def disconnect(connection: CalendarConnection) -> bool | None:
    """Forget the account: its secret, its calendars and the choices made about them, at once,
    and revoke LinkTime's access where the provider has a way. Returns whether it was revoked
    (None: the provider has no way).

    LinkTime's events already written there stay (with their links); new bookings are written to
    no calendar until the host picks another destination.
    """
    revoked = None
    if kind_of(connection.provider_kind).oauth_app is not None:
        app = oauth.app_for(connection.provider_kind)
        if app.revoke_url is not None:
            revoked = oauth.revoke(app, oauth.Tokens.from_json(connection.secret))
    user_id = connection.user_id
    label = connection.provider_kind.label
    audit.record(user_id, "calendar.disconnected",
                 f"Disconnected a {label} account; its password and calendar choices were deleted.")
    audit.forget([f"the {label} account {connection.account}", connection.account], f"a {label} account")
    db.session.delete(connection)
    _renew_pages(user_id)
    db.session.commit()
    audit.purge_free_space()
    return revoked
