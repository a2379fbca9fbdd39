"""Connected calendar accounts, their calendars, and each booking's event in the host's calendar."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.i18n import gettext
from linktime.models.columns import UTCDateTime, new_uid, now_utc, sealed
from linktime.models.connections import ConnectionStatus, DesiredState, RenewableGrant

if TYPE_CHECKING:
    from linktime.models.accounts import User
    from linktime.models.bookings import Booking
    from linktime.models.teams import BookingHost


class CalendarProvider(StrEnum):
    GOOGLE = "google"
    OUTLOOK = "outlook"
    CALDAV = "caldav"

    @property
    def label(self) -> str:
        return {"google": gettext("Google Calendar"), "outlook": gettext("Outlook Calendar"),
                "caldav": "CalDAV"}[self.value]


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
    # One per calendar owner: a collective booking's event is in each of its hosts' calendars,
    # under the booking's invite UID (as the invitation each host is emailed).
    __table_args__ = (UniqueConstraint("uid", "host_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first booking's invite UID, so calendars that see the emailed invite too show one event.
    uid: Mapped[str] = mapped_column(String(80))
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

    # The booking it was for in a former host's calendar (the booking was handed to another host).
    # No foreign key: bookings name their event too, and two tables naming each other cannot be
    # created or dropped in one order; a booking deleted since simply leaves it naming nothing.
    former_booking_id: Mapped[int | None] = mapped_column()

    bookings: Mapped[list[Booking]] = relationship(back_populates="calendar_event", order_by="Booking.id")
    # Or: the booking it is for in the calendar of one of the booking's other hosts.
    co_host_of: Mapped[list[BookingHost]] = relationship(back_populates="calendar_event")
    former_booking: Mapped[Booking | None] = relationship(
        primaryjoin="foreign(CalendarEvent.former_booking_id) == Booking.id", viewonly=True)
    calendar: Mapped[ConnectedCalendar | None] = relationship()

    @property
    def attendees(self) -> list[Booking]:
        """The bookings it shows: those still on (all of them once none is, for its removal)."""
        bookings = list(self.bookings) or [co.booking for co in self.co_host_of] \
            or ([self.former_booking] if self.former_booking is not None else [])
        return [b for b in bookings if not b.is_cancelled] or bookings

    @property
    def in_sync(self) -> bool:
        return self.synced_revision >= self.desired_revision
