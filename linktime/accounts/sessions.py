"""Sessions that can be ended: what a session and a remember-me cookie name, and how they stop.

Flask-Login keeps ``User.get_id()`` in the signed session and in the remember cookie. It is
``<user id>.<session version>.<nonce>.<issued at>``:

- raising the user's ``session_version`` (password change, "Sign out everywhere") ends every
  session and remember cookie of that user at once;
- signing out records the session's nonce as revoked, so a copy of its cookies stops working
  while the other devices stay signed in;
- no identity is accepted after SESSION_MAX_AGE (30 days, the remember-me lifetime), which is
  also how long a revoked nonce has to be remembered.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from flask_login import login_user, logout_user
from sqlalchemy import delete, select, update

from linktime.extensions import db
from linktime.models import RevokedSession, User, now_utc

SESSION_MAX_AGE = timedelta(days=30)


def load(identity_text: str) -> User | None:
    """The user a session or remember cookie names, if that session is still valid."""
    parts = identity_text.split(".")
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit() and parts[3].isdigit()):
        return None  # includes identities from before session versions: signed out
    user_id, version, nonce, issued = int(parts[0]), int(parts[1]), parts[2], int(parts[3])
    if user_id > 2**31 - 1 or time.time() - issued > SESSION_MAX_AGE.total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version:
        return None
    if db.session.scalar(select(RevokedSession.id).where(RevokedSession.nonce == nonce)) is not None:
        return None
    user._linktime_session = (nonce, issued)
    return user


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a new session for ``user`` (never reusing the one a cookie came with)."""
    user = getattr(user, "_get_current_object", lambda: user)()  # current_user is a proxy
    user.start_session()
    login_user(user, remember=remember)


def sign_out(user: User) -> None:
    """End this session, and any copy of its cookies; the user's other devices stay signed in."""
    nonce, issued = getattr(user, "_linktime_session", None) or (None, 0)
    if nonce:
        expires = datetime.fromtimestamp(issued, UTC) + SESSION_MAX_AGE
        db.session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now_utc()))
        db.session.add(RevokedSession(nonce=nonce, expires_at=expires))
        db.session.commit()
    logout_user()


def end_all_sessions(user: User) -> None:
    """Every session and remember cookie of ``user`` stops working, this one included."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.commit()
    db.session.refresh(user)


def renew_after_password_change(user: User) -> None:
    """End every other session and keep this browser signed in under the new version."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    end_all_sessions(user)
    sign_in(user, remember=remembered)
