"""Zoom connections: connect (OAuth), keep tokens fresh, disconnect, deauthorize.

Token refresh is single-flight across processes (``linktime/token_renewal.py``, shared with the
calendar accounts): Zoom's refresh tokens rotate with no grace period, so two refreshes with one
token would burn the connection.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import delete, or_, select

from linktime import audit, token_renewal
from linktime.conferencing import base
from linktime.conferencing.zoom.client import (
    LIST_SCOPE,
    ZoomAPI,
    ZoomAuthError,
    ZoomError,
    ZoomGrantError,
    ZoomOAuth,
    ZoomSettings,
    ZoomUnavailable,
    granted,
)
from linktime.extensions import db, rows_changed
from linktime.formatting import clock_of_reader
from linktime.host_lock import availability_changed
from linktime.i18n import gettext
from linktime.jobs.kinds import JobKind
from linktime.jobs.outbox import Retry, enqueue
from linktime.models import ConnectionStatus, User, ZoomAuthorization, ZoomConnection, now_utc
from linktime.notifications.email import MailError, build, deliver
from linktime.urls import public_url

FORGOTTEN = "a Zoom account"


def _account(email: str) -> str:
    """How activity entries name a connected account (until it is forgotten)."""
    return f"the Zoom account {email}"


def _forget(email: str) -> None:
    audit.forget([_account(email), email], FORGOTTEN)


T = TypeVar("T")
REFRESH_MARGIN = timedelta(seconds=60)


class StateError(Exception):
    """The callback's state is missing, unknown, already used or expired."""


class AccessDenied(Exception):
    """The host clicked Deny (or Zoom sent another error) on the consent screen."""

    def __init__(self, error: str, description: str = ""):
        super().__init__(error)
        self.error, self.description = error, description


class NotConnected(base.NotConnected):
    """The connection is gone (disconnected or deauthorized)."""


def settings() -> ZoomSettings:
    return ZoomSettings.from_config(current_app.config)


def oauth() -> ZoomOAuth:
    return ZoomOAuth(settings())


# ---------------------------------------------------------------------------- lookups


def own_connection(user: User) -> ZoomConnection | None:
    return db.session.scalar(select(ZoomConnection).where(ZoomConnection.user_id == user.id))


def workspace_connection() -> ZoomConnection | None:
    return db.session.scalar(select(ZoomConnection).where(ZoomConnection.user_id.is_(None)))


def connection_for(host_id: int) -> ZoomConnection | None:
    """The Zoom account a host's meetings go on: their own, else the team's (workspace)."""
    return db.session.scalar(
        select(ZoomConnection)
        .where(or_(ZoomConnection.user_id == host_id, ZoomConnection.user_id.is_(None)))
        .order_by(ZoomConnection.user_id.is_(None))  # own (False) before workspace (True)
    )


def can_list_meetings(connection: ZoomConnection) -> bool:
    """Granted the list scope, so an uncertain create can be checked (older connections lack it)."""
    return granted(connection.scopes, LIST_SCOPE)


def pending(user: User, workspace: bool) -> ZoomAuthorization | None:
    """A Connect started by this user that has not come back yet (shown as "Pending")."""
    return db.session.scalar(
        select(ZoomAuthorization).where(
            ZoomAuthorization.user_id == user.id,
            ZoomAuthorization.workspace == workspace,
            ZoomAuthorization.expires_at > now_utc(),
        )
    )


# ---------------------------------------------------------------------------- connect


def start_connect(user: User, *, workspace: bool = False) -> str:
    """Record a pending authorization and return Zoom's consent URL."""
    if workspace and not user.is_admin:
        raise PermissionError("only admins connect the team's Zoom account")
    db.session.execute(delete(ZoomAuthorization).where(
        ZoomAuthorization.user_id == user.id, ZoomAuthorization.workspace == workspace))
    authorization = ZoomAuthorization(user_id=user.id, workspace=workspace)
    db.session.add(authorization)
    db.session.commit()
    return oauth().authorization_url(authorization.state, authorization.code_verifier)


def cancel_pending(user: User, *, workspace: bool = False) -> None:
    db.session.execute(delete(ZoomAuthorization).where(
        ZoomAuthorization.user_id == user.id, ZoomAuthorization.workspace == workspace))
    db.session.commit()


def _take_state(state: str | None, user: User) -> ZoomAuthorization:
    """Use up the pending authorization for ``state`` (once), or raise StateError."""
    if not state or len(state) > 64:
        raise StateError("missing")
    authorization = db.session.scalar(select(ZoomAuthorization).where(ZoomAuthorization.state == state))
    if authorization is None or authorization.user_id != user.id:
        raise StateError("unknown")
    taken = rows_changed(delete(ZoomAuthorization).where(ZoomAuthorization.id == authorization.id))
    db.session.commit()
    if taken != 1:
        raise StateError("replayed")
    if authorization.expires_at <= now_utc():
        raise StateError("expired")
    return authorization


def finish_connect(user: User, *, state: str | None, code: str | None, error: str | None,
                   error_description: str = "") -> ZoomConnection:
    """Handle Zoom's redirect back: exchange the code, read the account, store the connection."""
    authorization = _take_state(state, user)
    if error or not code:
        raise AccessDenied(error or "no_code", error_description)
    tokens = oauth().exchange_code(code, authorization.code_verifier)
    account = ZoomAPI(settings(), tokens.access_token).me()
    owner_id = None if authorization.workspace else user.id
    previous = workspace_connection() if owner_id is None else own_connection(user)
    replaced = previous is not None and previous.zoom_user_id != account.id
    if previous is not None and replaced:
        # Another Zoom account: its meetings keep their links, but are no longer ours to change.
        _revoke_quietly(previous)
        db.session.delete(previous)
        db.session.flush()
        audit.record(user.id, "zoom.disconnected",
                     f"Replaced {FORGOTTEN} by {_account(account.email)}. Meetings made on the other account keep "
                     "their links; LinkTime can no longer move or delete them there.")
        _forget(previous.email)
    # The same account connected again keeps its row, so every meeting made on it stays reachable.
    connection = previous if previous is not None and not replaced else ZoomConnection(user_id=owner_id)
    connection.connected_by_id, connection.zoom_user_id, connection.email = user.id, account.id, account.email
    connection.expires_at, connection.scopes = tokens.expires_at, " ".join(sorted(tokens.scopes))
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    if connection.id is not None:  # renewed: whoever held the old token reads the new one
        connection.token_version += 1
        connection.refresh_claimed_until = None
        connection.status, connection.attention_reason = ConnectionStatus.CONNECTED.value, ""
        connection.attention_notified_at = None
    missing = tokens.missing_scopes(required_only=True)
    if missing:
        connection.status = ConnectionStatus.NEEDS_ATTENTION.value
        connection.attention_reason = (
            "Zoom did not grant " + ", ".join(missing) + ": LinkTime cannot "
            + ("cancel meetings" if any("delete" in m for m in missing) else "do everything it needs")
            + ". Add the scope to the Zoom app, then reconnect."
        )
    db.session.add(connection)
    db.session.flush()
    _pages_change(connection)  # they no longer say "the host will send you the link"
    whose = "the team" if owner_id is None else "your bookings"
    audit.record(user.id, "zoom.connected", f"Connected {_account(account.email)} for {whose}.")
    db.session.commit()
    if replaced:
        audit.purge_free_space()
    return connection


def hosts_served_by(connection: ZoomConnection) -> list[int]:
    """The hosts whose meetings go on this connection (its owner, or everyone without their own)."""
    if connection.user_id is not None:
        return [connection.user_id]
    own = select(ZoomConnection.user_id).where(ZoomConnection.user_id.is_not(None))
    return list(db.session.scalars(select(User.id).where(User.id.not_in(own))))


# ---------------------------------------------------------------------------- disconnect


def _revoke_quietly(connection: ZoomConnection) -> bool:
    """Revoke at Zoom, best effort: our copy is deleted whatever Zoom answers."""
    token = connection.refresh_token
    if token is None:  # undecryptable: nothing to revoke with
        return False
    try:
        oauth().revoke(token)
        return True
    except ZoomError:
        return False


def _pages_change(connection: ZoomConnection) -> None:
    """The booking pages of the hosts this account serves say whether a link will be made."""
    for host_id in hosts_served_by(connection):
        availability_changed(host_id)


def disconnect(connection: ZoomConnection, by: User) -> bool:
    """Revoke at Zoom (best effort) and delete the tokens at once. Existing meetings stay."""
    revoked = _revoke_quietly(connection)
    email = connection.email
    _pages_change(connection)
    db.session.delete(connection)
    audit.record(by.id, "zoom.disconnected",
                 f"Disconnected {FORGOTTEN}." + ("" if revoked else " Zoom could not be reached to revoke access."))
    _forget(email)
    db.session.commit()
    audit.purge_free_space()
    return revoked


def deauthorize(zoom_user_id: str) -> int:
    """Zoom says the app was removed: delete that account's connections (idempotent)."""
    connections = list(db.session.scalars(select(ZoomConnection).where(ZoomConnection.zoom_user_id == zoom_user_id)))
    for connection in connections:
        audit.record(
            connection.connected_by_id,
            "zoom.deauthorized",
            f"{FORGOTTEN.capitalize()} removed LinkTime in the Zoom Marketplace; its tokens and email were deleted.",
        )
        _forget(connection.email)
        _pages_change(connection)
        db.session.delete(connection)
    db.session.commit()
    if connections:
        audit.purge_free_space()
    return len(connections)


# ---------------------------------------------------------------------------- tokens

def _load(connection_id: int) -> ZoomConnection:
    connection = db.session.get(ZoomConnection, connection_id, populate_existing=True)
    if connection is None:
        raise NotConnected()
    return connection


def mark_needs_attention(connection: ZoomConnection, reason: str) -> None:
    """The connection cannot be used until the host reconnects; tell them (once)."""
    connection.status = ConnectionStatus.NEEDS_ATTENTION.value
    connection.attention_reason = reason
    connection.refresh_claimed_until = None
    audit.record(connection.connected_by_id, "zoom.refresh_failed", reason)
    if connection.attention_notified_at is None and connection.connected_by_id:
        connection.attention_notified_at = now_utc()
        enqueue(ATTENTION, user_id=connection.connected_by_id, reason=reason,
                dedupe_key=f"zoom-attention:{connection.uid}")


ATTENTION = JobKind.ZOOM_ATTENTION_EMAIL


def tell_attention(user_id: int, reason: str) -> None:
    """Tell a host, once, that their Zoom connection needs reconnecting."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    with clock_of_reader(24, user.language or None):
        message = build(user.email, gettext("Zoom needs your attention in LinkTime"), "zoom_attention",
                        user=user, reason=reason, url=public_url("accounts.integrations"))
    try:
        deliver(message)
    except MailError as exc:
        raise Retry(str(exc)) from None


def _renew(connection: ZoomConnection) -> None:
    tokens = oauth().refresh(connection.refresh_token)
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.expires_at = tokens.expires_at
    connection.refreshed_at = now_utc()
    audit.record(connection.connected_by_id, "zoom.refreshed", f"Renewed access to {_account(connection.email)}.")


def _refused(connection: ZoomConnection, exc: Exception) -> None:
    reason = exc.message if isinstance(exc, ZoomError) else str(exc)
    mark_needs_attention(connection, f"Zoom refused to renew LinkTime's access ({reason}). Reconnect Zoom.")


GRANT: token_renewal.Grant[ZoomConnection, tuple[str, int]] = token_renewal.Grant(
    model=ZoomConnection, renew=_renew, current=lambda c: (c.access_token, c.token_version),
    refused=ZoomGrantError, give_up=_refused,
    dead=lambda c: ZoomGrantError(c.attention_reason) if c.needs_attention else None,
    busy=lambda: ZoomUnavailable("another process is renewing the Zoom token; try again"),
    gone=NotConnected)


def _refresh(connection_id: int, seen_version: int) -> tuple[str, int]:
    return token_renewal.renew(GRANT, connection_id, seen_version, db.session())


UNREADABLE = ("LinkTime cannot decrypt this connection's tokens: the key they were stored with is not in "
              "ENCRYPTION_KEYS. Restore the key, or reconnect Zoom.")


def recover_if_readable(connection: ZoomConnection) -> bool:
    """A connection set aside only because a key was missing works again once the key is back."""
    if not (connection.needs_attention and connection.attention_reason == UNREADABLE):
        return False
    if connection.access_token is None or connection.refresh_token is None:
        return False
    connection.status, connection.attention_reason = ConnectionStatus.CONNECTED.value, ""
    connection.attention_notified_at = None
    audit.record(connection.connected_by_id, "zoom.recovered",
                 "LinkTime can read this Zoom connection's tokens again (its key is back); it works as before.")
    return True


def access_token(connection_id: int) -> tuple[str, int]:
    """A usable access token: the stored one, or a fresh one if it expires within 60 s."""
    connection = _load(connection_id)
    recover_if_readable(connection)
    token, version, expires_at = connection.access_token, connection.token_version, connection.expires_at
    if token is None or connection.refresh_token is None:
        if not connection.needs_attention:
            mark_needs_attention(connection, UNREADABLE)
        db.session.commit()
        raise ZoomGrantError(UNREADABLE)
    db.session.commit()
    if expires_at - now_utc() > REFRESH_MARGIN:
        return token, version
    return _refresh(connection_id, version)


def call_zoom(connection_id: int, call: Callable[[ZoomAPI], T]) -> T:
    """Run an API call as the connection's user, refreshing once if Zoom refuses the token."""
    token, version = access_token(connection_id)
    try:
        return call(ZoomAPI(settings(), token))
    except ZoomAuthError:
        token, _ = _refresh(connection_id, version)
        return call(ZoomAPI(settings(), token))
