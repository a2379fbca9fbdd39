"""Zoom connections and authorizations, and the meetings made for bookings (any provider)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.models.columns import UTCDateTime, new_token, new_uid, now_utc, sealed
from linktime.models.connections import ConnectionStatus, DesiredState, RenewableGrant
from linktime.models.event_types import Location

if TYPE_CHECKING:
    from linktime.models.accounts import User
    from linktime.models.bookings import Booking


class ZoomConnection(RenewableGrant, Model):
    """A Zoom account connected by a host (``user_id``) or for the whole team (``user_id`` NULL).

    What is stored of the Zoom account: its user id (to honour deauthorization), its email and
    the OAuth tokens, encrypted.
    """

    __tablename__ = "zoom_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    zoom_user_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(254))
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scopes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.CONNECTED.value)
    attention_reason: Mapped[str] = mapped_column(Text, default="")
    attention_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    access_token = sealed("access_token_enc", "The OAuth access token, in clear.")
    refresh_token = sealed("refresh_token_enc", "The OAuth refresh token, in clear.")

    @property
    def is_workspace(self) -> bool:
        return self.user_id is None


class ZoomAuthorization(Model):
    """A Connect in progress ("Pending"): the OAuth state and PKCE verifier, used once."""

    __tablename__ = "zoom_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    code_verifier: Mapped[str] = mapped_column(String(128), default=lambda: secrets.token_urlsafe(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: now_utc() + timedelta(minutes=10))


class MeetingStatus(StrEnum):
    """Where the outside meeting stands, as hosts see it on the dashboard."""

    PENDING = "pending"  # being brought to its desired state
    CREATED = "created"  # exists at the provider as the booking wants it
    FAILED = "failed"  # gave up after the last retry; the host can retry
    NO_CONNECTION = "no_connection"  # the provider was not connected when it was needed
    CANCELLED = "cancelled"  # deleted at the provider (or never created)


class Meeting(Model):
    """The outside meeting (Zoom, …) of one booked slot; the attendees of a group slot share it.

    Reconciled: the booking service sets the desired state and raises ``desired_revision`` under
    the host lock; the sync job brings the provider to it and records ``synced_revision``.
    """

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_account", "provider", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default=Location.ZOOM.value)
    # The account the meeting is made on: its id in the provider's own table of accounts (the
    # provider says which; see conferencing/base.py). No foreign key can span those tables, so the
    # provider clears it when an account row goes, and ``account_ref`` guards against a reused id.
    account_id: Mapped[int | None] = mapped_column()
    # The provider's id of that account: after a disconnect, the same account connected again
    # takes its meetings back (to move or delete them); another account does not.
    account_ref: Mapped[str | None] = mapped_column(String(254))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.PENDING.value)
    desired_state: Mapped[str] = mapped_column(String(10), default=DesiredState.PRESENT.value)
    desired_revision: Mapped[int] = mapped_column(default=1)
    synced_revision: Mapped[int] = mapped_column(default=0)
    # The provider's id of the meeting, once it exists there.
    external_id: Mapped[str | None] = mapped_column(String(1100))
    join_url_enc: Mapped[str | None] = mapped_column(Text)
    password_enc: Mapped[str | None] = mapped_column(Text)
    # Set before a create is sent, cleared by its answer: still set means the answer was lost.
    create_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A lost create could not be checked (the connection lacks the list scope): maybe a duplicate.
    create_unverified: Mapped[bool] = mapped_column(default=False)
    # One sync at a time per meeting, across processes: a claim with a token, like jobs.
    sync_token: Mapped[str | None] = mapped_column(String(32))
    sync_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a shared (workspace) account already hosts another meeting at this time.
    warning: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    # A booking handed to another host: the meeting it is to get on their account, which takes
    # the place of this one (``replaces``) once made there — then this one is deleted. Until then
    # the booking keeps this one and its link: never none, never two at the end.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)

    bookings: Mapped[list[Booking]] = relationship(back_populates="meeting")
    replaces: Mapped[Meeting | None] = relationship(remote_side=[id])

    @property
    def served(self) -> list[Booking]:
        """The bookings it is for: its own, or (not made yet) those of the meeting it replaces."""
        return list(self.bookings) or (list(self.replaces.bookings) if self.replaces is not None else [])

    join_url = sealed("join_url_enc", "The join link invitees use.")
    password = sealed("password_enc", "The meeting passcode.")

    @property
    def provider_kind(self) -> Location:
        return Location(self.provider)

    @property
    def is_created(self) -> bool:
        return self.status == MeetingStatus.CREATED

    @property
    def in_sync(self) -> bool:
        return self.synced_revision >= self.desired_revision
