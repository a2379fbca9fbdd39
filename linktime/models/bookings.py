"""Bookings, their history, and the numbers that asked for no more texts."""
from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model, db
from linktime.models.columns import UTCDateTime, new_uid, now_utc
from linktime.models.event_types import Location
from linktime.tokens import link_token
from linktime.urls import public_url

if TYPE_CHECKING:
    from linktime.models.accounts import User
    from linktime.models.calendars import CalendarEvent
    from linktime.models.conferencing import Meeting
    from linktime.models.event_types import EventType
    from linktime.models.teams import BookingHost


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
    # An internal meeting: set up by its host with teammates (its co-hosts) and any outside guests;
    # it has no invitee of its own (``invitee_email`` is empty) and no event type.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    guests: Mapped[list | None] = mapped_column(JSON)  # outside guests' addresses, ["a@example.org", …]
    # The invitee's answers to the event type's questions: [{"question", "kind", "answer"}, …]
    answers: Mapped[list | None] = mapped_column(JSON)
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
    # How the invitee reads times (their page's clock, 12 or 24, and locale such as "en_US"): their
    # emails and texts say times the same way.
    invitee_locale: Mapped[str] = mapped_column(String(16), default="", server_default="")
    invitee_hours: Mapped[int | None] = mapped_column()
    # The last move: "host" or "invitee" ("" if never moved), and the reason they gave the other.
    moved_by: Mapped[str] = mapped_column(String(10), default="", server_default="")
    move_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
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
    # Who hosts it besides ``host``: a collective booking's other members, an internal meeting's teammates.
    co_hosts: Mapped[list[BookingHost]] = relationship(back_populates="booking", cascade="all, delete-orphan",
                                                       order_by="BookingHost.id")

    @property
    def hosts(self) -> list[User]:
        """Everyone who hosts it, its host first."""
        return [self.host, *(co.user for co in self.co_hosts)]

    @property
    def guest_list(self) -> list[str]:
        return [str(address) for address in self.guests or []]

    @property
    def answer_list(self) -> list[tuple[str, str]]:
        """(question, answer) pairs, as the invitee answered them."""
        return [(str(item.get("question", "")), str(item.get("answer", ""))) for item in self.answers or []
                if isinstance(item, dict)]

    @property
    def host_names(self) -> str:
        """Who the invitee meets, in words: "Ann", "Ann and Bob", "Ann, Bob and Cy"."""
        names = [host.name for host in self.hosts]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    @property
    def host_ids(self) -> list[int]:
        return [self.host_id, *(co.user_id for co in self.co_hosts)]

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
        if self.uid is None:
            self.uid = new_uid()
        return link_token("manage", self.uid)

    @property
    def manage_url(self) -> str:
        return public_url("bookings.manage", token=self.manage_token)


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
