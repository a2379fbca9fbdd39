"""Teams: who is in them, who hosts a team event type, who else hosts a booking, and who is away.

A team groups hosts of this LinkTime under a public page (``/team/<slug>``) with event types
booked with "someone from the team" (round-robin) or "all of these people" (collective).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.i18n import gettext
from linktime.models.columns import UTCDateTime, now_utc
from linktime.urls import public_url

if TYPE_CHECKING:
    from linktime.models.accounts import User
    from linktime.models.bookings import Booking
    from linktime.models.calendars import CalendarEvent


class Scheduling(StrEnum):
    """Who an event type's bookings are with."""

    PERSONAL = ""  # the event type's host
    ROUND_ROBIN = "round_robin"  # one member free at the time, chosen fairly
    COLLECTIVE = "collective"  # every chosen member, at a time all of them are free

    @property
    def label(self) -> str:
        return {"": gettext("Personal"), "round_robin": gettext("Round-robin"),
                "collective": gettext("Collective")}[self.value]


class Team(Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    members: Mapped[list[TeamMember]] = relationship(back_populates="team", cascade="all, delete-orphan",
                                                     order_by="TeamMember.id")

    @property
    def public_url(self) -> str:
        return public_url("teams.team_page", team_slug=self.slug)


class TeamMember(Model):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class EventTypeHost(Model):
    """A member chosen to host a team event type. Round-robin prefers a higher ``priority`` among
    members with as few bookings, and spreads bookings in proportion to ``weight``."""

    __tablename__ = "event_type_hosts"
    __table_args__ = (UniqueConstraint("event_type_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    weight: Mapped[int] = mapped_column(default=100)

    user: Mapped[User] = relationship()


class BookingHost(Model):
    """Someone besides the booking's host who hosts it (a collective booking's other members, the
    teammates of an internal meeting), with the booking's event in their own calendar."""

    __tablename__ = "booking_hosts"
    __table_args__ = (UniqueConstraint("booking_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    calendar_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_events.id", ondelete="SET NULL"), index=True)

    user: Mapped[User] = relationship()
    booking: Mapped[Booking] = relationship(back_populates="co_hosts")
    calendar_event: Mapped[CalendarEvent | None] = relationship(back_populates="co_host_of")


class OutOfOffice(Model):
    """Days a host is away (in their own time zone): round-robin passes them by, collective
    times need them, and their team bookings on those days are listed for reassignment."""

    __tablename__ = "out_of_office"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day
