"""What a host offers: event types, and where their meetings happen (``Location``)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask import url_for
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from linktime.extensions import Model
from linktime.i18n import lazy_gettext
from linktime.models.columns import UTCDateTime, now_utc
from linktime.models.schedules import Schedule
from linktime.models.teams import EventTypeHost, Scheduling, Team
from linktime.scheduling import Availability, BookingRules
from linktime.scheduling.rules import hours_from_json
from linktime.urls import public_url

if TYPE_CHECKING:
    from linktime.models.accounts import User


class Location(StrEnum):
    ZOOM = "zoom"
    GOOGLE_MEET = "google_meet"
    IN_PERSON = "in_person"
    PHONE = "phone"
    CUSTOM_LINK = "custom_link"
    NONE = "none"

    @property
    def label(self) -> str:
        return str(LOCATION_LABELS[self])


LOCATION_LABELS = {
    Location.ZOOM: "Zoom",
    Location.GOOGLE_MEET: "Google Meet",
    Location.IN_PERSON: lazy_gettext("In person"),
    Location.PHONE: lazy_gettext("Phone call"),
    Location.CUSTOM_LINK: lazy_gettext("Custom link"),
    Location.NONE: lazy_gettext("None"),
}


class EventType(Model):
    __tablename__ = "event_types"
    # A host's own slugs are unique among their own event types; a team's, within the team.
    __table_args__ = (
        Index("uq_event_types_host_slug", "host_id", "slug", unique=True,
              sqlite_where=text("team_id IS NULL"), postgresql_where=text("team_id IS NULL")),
        Index("uq_event_types_team_slug", "team_id", "slug", unique=True,
              sqlite_where=text("team_id IS NOT NULL"), postgresql_where=text("team_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Its owner; for a team event type, the organiser (whose video account makes a collective
    # booking's meeting), one of its hosts.
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    scheduling: Mapped[str] = mapped_column(String(20), default=Scheduling.PERSONAL.value,
                                            server_default="")
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
    # The host's own questions on the booking form, in order (event_types/questions.py), and how
    # many guests an invitee may bring (0: none).
    questions: Mapped[list | None] = mapped_column(JSON)
    # A shared schedule whose hours it keeps (None: its own weekly_hours and date_overrides).
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"), index=True)
    max_guests: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language its pages speak to invitees whose browser asks for none LinkTime speaks ("" English).
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    host: Mapped[User] = relationship(back_populates="event_types")
    team: Mapped[Team | None] = relationship()
    schedule: Mapped[Schedule | None] = relationship()
    team_hosts: Mapped[list[EventTypeHost]] = relationship(cascade="all, delete-orphan",
                                                           order_by="EventTypeHost.user_id")

    @property
    def scheduling_kind(self) -> Scheduling:
        return Scheduling(self.scheduling)

    @property
    def is_team(self) -> bool:
        return self.team_id is not None

    @property
    def location_kind(self) -> Location:
        return Location(self.location)

    @property
    def availability(self) -> Availability:
        return self.availability_in(self.host.timezone)

    def availability_in(self, zone: str, days_away: Iterable[date] = ()) -> Availability:
        """Its hours kept in ``zone`` (a team event type's hours are kept by each member in their
        own time zone), with no hours on ``days_away``: its schedule's, or its own."""
        if self.schedule is not None:
            return self.schedule.availability_in(zone, days_away)
        overrides = {date.fromisoformat(k): hours_from_json(v) for k, v in (self.date_overrides or {}).items()}
        overrides.update((day, ()) for day in days_away)
        return Availability(
            timezone=zone,
            weekly={int(k): hours_from_json(v) for k, v in (self.weekly_hours or {}).items()},
            overrides=overrides,
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
    def address(self) -> dict[str, str]:
        """What names its public pages: the team's slug and its own, or the host's username and its own."""
        if self.team is not None:
            return {"team_slug": self.team.slug, "slug": self.slug}
        return {"username": self.host.username, "slug": self.slug}

    def url(self, action: str = "event_page", **values: Any) -> str:
        """One of its public pages (``event_page`` or ``book``), as a path."""
        return url_for(f"{'teams' if self.team is not None else 'bookings'}.{action}", **{**self.address, **values})

    @property
    def public_url(self) -> str:
        if self.team is not None:
            return public_url("teams.event_page", team_slug=self.team.slug, slug=self.slug)
        return public_url("bookings.event_page", username=self.host.username, slug=self.slug)
