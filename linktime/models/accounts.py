"""Hosts and what belongs to their accounts: users, invites, former usernames, ended sessions,
rate-limit counters, photos, the activity log."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from linktime.extensions import Model
from linktime.models.columns import UTCDateTime, new_uid, now_utc
from linktime.tokens import link_token
from linktime.urls import public_url

if TYPE_CHECKING:
    from linktime.models.event_types import EventType


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")  # "" English
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Bumped at the start of every booking transaction: the row lock serialises a host's bookings.
    booking_seq: Mapped[int] = mapped_column(default=0)
    # Part of every session's identity: raising it ends all of the user's sessions at once.
    session_version: Mapped[int] = mapped_column(default=0)
    # The booking page's look: a colour ("#1f6feb", or "" for LinkTime's) and the photo's digest
    # ("" for none; the picture is in UserPhoto, its address changes with it).
    brand_color: Mapped[str] = mapped_column(String(7), default="", server_default="")
    photo_digest: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The private calendar feed: the SHA-256 of its address's key ("" while there is none).
    feed_digest: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)

    event_types: Mapped[list[EventType]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="EventType.created_at"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    if TYPE_CHECKING:  # not a column: the session this object was loaded or signed in for (nonce, issued)
        _linktime_session: tuple[str, int] | None

    def start_session(self) -> tuple[str, int]:
        """A new session for this user: a random nonce and the time it was issued."""
        self._linktime_session = (secrets.token_hex(16), int(datetime.now(UTC).timestamp()))
        return self._linktime_session

    def get_id(self) -> str:
        """The login identity Flask-Login keeps in the session and the remember cookie:
        ``<user id>.<session version>.<nonce>.<issued at>`` (see accounts/sessions.py)."""
        nonce, issued = getattr(self, "_linktime_session", None) or self.start_session()
        return f"{self.id}.{self.session_version}.{nonce}.{issued}"

    @property
    def public_url(self) -> str:
        return public_url("bookings.host_page", username=self.username)


class Invite(Model):
    """A single-use sign-up link an admin sends a new team member's email address.

    The link's token is not stored: it is a MAC of the invite's uid (see linktime.tokens).
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    email: Mapped[str] = mapped_column(String(254), default="")
    # Invites made before tokens were derived: the SHA-256 of their random token.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=lambda: now_utc() + timedelta(days=7)
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now_utc()

    @property
    def token(self) -> str:
        return link_token("invite", self.uid)

    @property
    def url(self) -> str:
        return public_url("accounts.signup", invite=self.token)


class FormerUsername(Model):
    """A username a host used before a rename: its links redirect, and nobody else may take it."""

    __tablename__ = "former_usernames"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class RevokedSession(Model):
    """A signed-out session: its cookies stop working even if someone copied them."""

    __tablename__ = "revoked_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    # After this the session is too old to be accepted anyway, so the row can go.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateLimit(Model):
    """One throttled key (an address, an account, a host): its theoretical arrival time (GCRA)."""

    __tablename__ = "rate_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # Seconds since the epoch at which the key's allowance is fully back.
    tat: Mapped[float] = mapped_column(index=True)


class AuditEvent(Model):
    """What happened to a host's integrations and meetings, in words; never a secret."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)


class UserPhoto(Model):
    """The picture a host shows on their booking pages (checked and re-encoded on upload)."""

    __tablename__ = "user_photos"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
