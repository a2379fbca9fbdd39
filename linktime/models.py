"""Database models (SQLAlchemy 2.0, typed). All instants are stored in UTC."""
from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from linktime.crypto import DecryptionError, keyring
from linktime.extensions import Model, db
from linktime.scheduling import Availability, BookingRules
from linktime.scheduling.rules import hours_from_json
from linktime.urls import public_url


def now_utc() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_uid() -> str:
    return str(uuid.uuid4())


def sealed_context(table: str, column: str, uid: str) -> str:
    """The associated data that binds an encrypted value to its table, column and row."""
    return f"{table}.{column}:{uid}"


def sealed(column: str, doc: str) -> property:
    """A secret kept encrypted in ``column``, bound to this table, column and row (its uid)."""

    def context(row) -> str:
        return sealed_context(row.__tablename__, column, row.uid)

    def read(row) -> str | None:
        blob = getattr(row, column)
        if blob is None:
            return None
        try:
            return keyring().decrypt(blob, context(row))
        except DecryptionError as exc:
            # A key missing from ENCRYPTION_KEYS must not break pages: the value reads as absent.
            current_app.logger.error("cannot decrypt %s of %s %s: %s", column, row.__tablename__, row.uid, exc)
            return None

    def write(row, value: str | None) -> None:
        if row.uid is None:
            row.uid = new_uid()
        blob = None if value is None else keyring().encrypt(value, context(row))
        setattr(row, column, blob)

    return property(read, write, doc=doc)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
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
        from linktime.tokens import link_token

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


class Location(StrEnum):
    ZOOM = "zoom"
    GOOGLE_MEET = "google_meet"
    IN_PERSON = "in_person"
    PHONE = "phone"
    CUSTOM_LINK = "custom_link"
    NONE = "none"

    @property
    def label(self) -> str:
        return LOCATION_LABELS[self]


LOCATION_LABELS = {
    Location.ZOOM: "Zoom",
    Location.GOOGLE_MEET: "Google Meet",
    Location.IN_PERSON: "In person",
    Location.PHONE: "Phone call",
    Location.CUSTOM_LINK: "Custom link",
    Location.NONE: "None",
}


class EventType(Model):
    __tablename__ = "event_types"
    __table_args__ = (UniqueConstraint("host_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=30)
    location: Mapped[str] = mapped_column(String(20), default=Location.NONE.value)
    location_detail: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # {"0": [["09:00", "17:00"]], …} keyed by weekday (0 = Monday), in the host's time zone.
    weekly_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"2026-12-24": []} — an empty list is a day off.
    date_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    min_notice_minutes: Mapped[int] = mapped_column(default=240)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    max_per_day: Mapped[int | None] = mapped_column()
    horizon_days: Mapped[int] = mapped_column(default=60)
    increment_minutes: Mapped[int] = mapped_column(default=30)
    seats: Mapped[int] = mapped_column(default=1)
    # Recurring bookings: every this many weeks (0: not offered), at most repeat_max sessions.
    repeat_weeks: Mapped[int] = mapped_column(default=0)
    repeat_max: Mapped[int] = mapped_column(default=4)
    # Minutes before the start at which reminders go out.
    reminder_offsets: Mapped[list] = mapped_column(JSON, default=lambda: [1440, 60])
    remind_host: Mapped[bool] = mapped_column(default=False)
    sms_reminders: Mapped[bool] = mapped_column(default=False)
    # ISO country codes ("GB, US") whose mobile numbers may get text reminders.
    sms_countries: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    host: Mapped[User] = relationship(back_populates="event_types")

    @property
    def location_kind(self) -> Location:
        return Location(self.location)

    @property
    def availability(self) -> Availability:
        return Availability(
            timezone=self.host.timezone,
            weekly={int(k): hours_from_json(v) for k, v in (self.weekly_hours or {}).items()},
            overrides={
                date.fromisoformat(k): hours_from_json(v)
                for k, v in (self.date_overrides or {}).items()
            },
        )

    @property
    def rules(self) -> BookingRules:
        return BookingRules(
            duration=timedelta(minutes=self.duration_minutes),
            increment=timedelta(minutes=self.increment_minutes),
            min_notice=timedelta(minutes=self.min_notice_minutes),
            buffer_before=timedelta(minutes=self.buffer_before_minutes),
            buffer_after=timedelta(minutes=self.buffer_after_minutes),
            max_per_day=self.max_per_day,
            horizon=timedelta(days=self.horizon_days),
            seats=self.seats,
        )

    @property
    def sms_regions(self) -> list[str]:
        return [code for code in (self.sms_countries or "").replace(",", " ").split() if code]

    @property
    def public_url(self) -> str:
        return public_url("bookings.event_page", username=self.host.username, slug=self.slug)


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Booking(Model):
    """One invitee's booking of one slot. A group slot has one Booking per attendee."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_host_start", "host_id", "start"),
        Index("ix_bookings_event_type_start", "event_type_id", "start"),
        Index("ix_bookings_host_created", "host_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_types.id", ondelete="SET NULL")
    )
    # What the invitee was promised, kept even if the event type is edited or deleted later.
    title: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(20))
    location_detail: Mapped[str] = mapped_column(String(500), default="")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    invitee_name: Mapped[str] = mapped_column(String(100))
    invitee_email: Mapped[str] = mapped_column(String(254))
    invitee_timezone: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    # E.164 number for SMS / WhatsApp reminders, when the invitee asked for them.
    invitee_phone: Mapped[str] = mapped_column(String(20), default="")
    reminder_channel: Mapped[str] = mapped_column(String(10), default="")  # "sms", "whatsapp" or ""
    # The confirmation went out without the meeting's link: the link follows by email.
    link_to_follow: Mapped[bool] = mapped_column(default=False)
    # When someone last asked for the booking link of this slot to be sent again (bounded).
    link_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.CONFIRMED.value)
    # The invitee's cancel / reschedule link carries a MAC of ``uid`` (linktime.tokens), not
    # stored. Bookings made before that keep working through the SHA-256 of their old token.
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # One per rendered booking form, so a double-submitted form books once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A recurring booking's sessions share a series id; each is its own booking (meeting, invite UID).
    series_id: Mapped[str | None] = mapped_column(String(36), index=True)
    series_index: Mapped[int | None] = mapped_column()  # 1 for the first session
    sequence: Mapped[int] = mapped_column(default=0)  # raised on every change (calendar invites)
    # The sequence each recipient was last told of by a change notice (a later one that finds it
    # told already is not sent again).
    told_invitee: Mapped[int | None] = mapped_column()
    told_host: Mapped[int | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(10))  # "host" or "invitee"
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    # The event in the host's calendar: its own, or its group slot's (one event for every seat).
    calendar_event_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_events.id", ondelete="SET NULL"),
                                                          index=True)

    host: Mapped[User] = relationship(foreign_keys=[host_id])
    event_type: Mapped[EventType | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship(back_populates="bookings")
    calendar_event: Mapped[CalendarEvent | None] = relationship(back_populates="bookings")

    def series_sessions(self) -> list[Booking]:
        """Every session of this booking's series, in order (the booking alone if it is not in one)."""
        if self.series_id is None:
            return [self]
        return list(db.session.scalars(select(Booking).where(Booking.series_id == self.series_id)
                                       .order_by(Booking.start)))

    @property
    def is_cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED

    @property
    def location_kind(self) -> Location:
        return Location(self.location)

    @property
    def is_changeable(self) -> bool:
        """Confirmed and not over yet: it can still be cancelled or rescheduled."""
        return not self.is_cancelled and self.end > now_utc()

    @property
    def manage_token(self) -> str:
        from linktime.tokens import link_token

        if self.uid is None:
            self.uid = new_uid()
        return link_token("manage", self.uid)

    @property
    def manage_url(self) -> str:
        return public_url("bookings.manage", token=self.manage_token)


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_ATTENTION = "needs_attention"


class RenewableGrant:
    """Columns of a connection whose OAuth tokens are renewed once across every process
    (``linktime/token_renewal.py``): raised by every renewal and reconnect, and claimed until."""

    token_version: Mapped[int] = mapped_column(default=0)
    refresh_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    if TYPE_CHECKING:  # the connection's own columns
        id: Mapped[int]
        status: Mapped[str]

    @property
    def needs_attention(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_ATTENTION


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


class DesiredState(StrEnum):
    PRESENT = "present"  # exists at the booking's time with its details
    ABSENT = "absent"  # gone: nobody is booked in it any more


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

    bookings: Mapped[list[Booking]] = relationship(back_populates="meeting")

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


class CalendarProvider(StrEnum):
    GOOGLE = "google"
    OUTLOOK = "outlook"
    CALDAV = "caldav"

    @property
    def label(self) -> str:
        return {"google": "Google Calendar", "outlook": "Outlook Calendar", "caldav": "CalDAV"}[self.value]


class CalendarConnection(RenewableGrant, Model):
    """A calendar account a host connected.

    What is stored: the account's name (an email, or a username at a CalDAV server), the CalDAV
    server's address, and the secret (OAuth tokens, or a CalDAV app password), encrypted. Of the
    calendars themselves only their names and which ones the host chose are kept.
    """

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(254))
    server_url: Mapped[str] = mapped_column(String(2000), default="")
    secret_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.CONNECTED.value)
    attention_reason: Mapped[str] = mapped_column(Text, default="")
    # Since when its busy times could not be read (the dashboard says so); None while they can.
    read_failed_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What its last reading could not do in full (an event repeating too often to expand, …).
    read_warning: Mapped[str] = mapped_column(Text, default="")
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()
    calendars: Mapped[list[ConnectedCalendar]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="ConnectedCalendar.name")

    secret = sealed("secret_enc", "The app password or the OAuth tokens (JSON), in clear.")

    @property
    def provider_kind(self) -> CalendarProvider:
        return CalendarProvider(self.provider)


class ConnectedCalendar(Model):
    """One calendar of a connected account: checked for conflicts or not, and whether new bookings
    are written into it (one destination per host)."""

    __tablename__ = "connected_calendars"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"),
                                               index=True)
    remote_id: Mapped[str] = mapped_column(String(2000))  # the calendar's id or URL at the provider
    name: Mapped[str] = mapped_column(String(200))
    check_conflicts: Mapped[bool] = mapped_column(default=True)
    is_destination: Mapped[bool] = mapped_column(default=False)

    connection: Mapped[CalendarConnection] = relationship(back_populates="calendars")


class EventStatus(StrEnum):
    PENDING = "pending"  # being written, moved or removed
    WRITTEN = "written"
    REMOVED = "removed"
    FAILED = "failed"  # see last_error


class CalendarEvent(Model):
    """LinkTime's event for one booking (or one group slot, its seats its attendees) in the host's
    destination calendar.

    Reconciled like a meeting: the booking service sets the desired state and raises
    ``desired_revision`` under the host lock; the sync job writes the event (under a key chosen by
    LinkTime: a retried write never makes a second one) and records ``synced_revision``. Only this
    event is ever written to a host's calendar; nothing of it is stored but where it went.
    """

    __tablename__ = "calendar_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first booking's invite UID, so calendars that see the emailed invite too show one event.
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # None once that calendar's account is disconnected: the event stays there, out of reach.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("connected_calendars.id", ondelete="SET NULL"),
                                                    index=True)
    remote_id: Mapped[str | None] = mapped_column(String(2000))  # the provider's id for it, once written
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.PENDING.value)
    desired_state: Mapped[str] = mapped_column(String(10), default=DesiredState.PRESENT.value)
    desired_revision: Mapped[int] = mapped_column(default=1)
    synced_revision: Mapped[int] = mapped_column(default=0)
    # Set before a write goes out: a removal must then ask the calendar even without an id.
    write_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the calendar holds it as last written (None once removed), and where it was before its
    # last move or removal (and since when): never counted as busy, also by a reading made before.
    written_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released: Mapped[list | None] = mapped_column(JSON)  # [[start, end, when], …] of the last minutes
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest of those
    sync_token: Mapped[str | None] = mapped_column(String(32))
    sync_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    bookings: Mapped[list[Booking]] = relationship(back_populates="calendar_event", order_by="Booking.id")
    calendar: Mapped[ConnectedCalendar | None] = relationship()

    @property
    def attendees(self) -> list[Booking]:
        """The bookings it shows: those still on (all of them once none is, for its removal)."""
        return [b for b in self.bookings if not b.is_cancelled] or list(self.bookings)

    @property
    def in_sync(self) -> bool:
        return self.synced_revision >= self.desired_revision


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    """The outbox: background work written in the same transaction as the change needing it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    first_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # waits that do not count end from here
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the claim: only that runner may record the job's outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)


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


class BookingHistory(Model):
    """What happened to a booking and its meeting, in words, for the host's booking page."""

    __tablename__ = "booking_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SmsOptOut(Model):
    """A phone number that replied STOP: no more text messages to it."""

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
