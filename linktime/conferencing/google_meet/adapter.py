"""Google Meet behind the conferencing interface: a Meet conference per booked slot, made on an
event in the host's Google calendar (their destination calendar when it is a Google one of the
same account, else the account's primary calendar).

The event's id and the conference's request id both come from the meeting's marker, so a create
sent again (its answer lost) finds what the first one made and never makes a second conference.
Google may answer a create with the conference still "pending": the reconciler then tries again
shortly, and ``find`` adopts the event once its link exists. The meeting's ``external_id`` is
``<event id> <calendar id>``, so later changes reach the same event wherever the host's
destination has moved since.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import select

from linktime.calendars import base as calendars
from linktime.calendars.clients import with_client
from linktime.calendars.events import destination
from linktime.calendars.google.client import GoogleCalendar, event_id, meet_of
from linktime.conferencing import base
from linktime.extensions import db
from linktime.models import CalendarConnection, CalendarProvider, ConnectionStatus, Location, User

T = TypeVar("T")
PENDING_WAIT = 2.0  # seconds before asking again for a conference Google is still making


def _describe(connection: CalendarConnection) -> base.Connection:
    attention = connection.status == ConnectionStatus.NEEDS_ATTENTION
    return base.Connection(id=connection.id, label="a Google account", is_workspace=False, usable=not attention,
                           ref=connection.account,
                           problem=f"Google Calendar needs to be reconnected: {connection.attention_reason}"
                           if attention else "")


def google_connection_for(host_id: int) -> CalendarConnection | None:
    """The host's Google account that makes their Meet links: the one holding their destination
    calendar, else the first connected."""
    chosen = destination(host_id)
    if chosen is not None and chosen.connection.provider == CalendarProvider.GOOGLE:
        return chosen.connection
    return db.session.scalar(select(CalendarConnection).where(
        CalendarConnection.user_id == host_id, CalendarConnection.provider == CalendarProvider.GOOGLE.value)
        .order_by(CalendarConnection.connected_at, CalendarConnection.id).limit(1))


def _calendar(connection: CalendarConnection) -> str:
    destination = next((c for c in connection.calendars if c.is_destination), None)
    if destination is not None:
        return destination.remote_id
    primary = next((c for c in connection.calendars if c.remote_id == connection.account), None)
    return (primary or connection.calendars[0]).remote_id


def _body(details: base.MeetingDetails) -> dict[str, Any]:
    end = details.start + timedelta(minutes=details.duration_minutes)
    return {"summary": details.topic, "description": details.description or details.agenda,
            "start": {"dateTime": details.start.isoformat(), "timeZone": details.timezone},
            "end": {"dateTime": end.isoformat(), "timeZone": details.timezone}}


def _made(event: dict[str, Any], calendar_id: str) -> base.ExternalMeeting:
    link, status = meet_of(event)
    if link:
        return base.ExternalMeeting(id=f"{event['id']} {calendar_id}", join_url=link)
    if status == "failure":
        raise base.Refused("Google could not make a Meet conference for this event")
    raise base.Unavailable("Google is still making the Meet link", retry_after=PENDING_WAIT)


class GoogleMeetProvider:
    location = Location.GOOGLE_MEET
    account_model = CalendarConnection
    connect_what, connect_where = "Google Calendar", "#calendars"  # Meet links are made through it
    privacy = None  # made through Google Calendar, whose facts say so

    def cards(self, user: User) -> list[tuple[str, dict[str, Any]]]:
        return [("conferencing/_google_meet_card.html", dict(account=google_connection_for(user.id)))]

    def display_id(self, external_id: str, join_url: str) -> str:
        return join_url.rstrip("/").rsplit("/", 1)[-1]  # the code people type: abc-defg-hij

    def settle_time(self) -> timedelta:
        return timedelta(seconds=2 * float(current_app.config.get("CALENDAR_TIMEOUT", 10)))

    def is_event_in(self, calendar_provider: str) -> bool:
        return calendar_provider == CalendarProvider.GOOGLE  # the conference is on an event it writes there

    def connection_for(self, host_id: int) -> base.Connection | None:
        connection = google_connection_for(host_id)
        return _describe(connection) if connection is not None else None

    def connection(self, connection_id: int) -> base.Connection | None:
        connection = db.session.get(CalendarConnection, connection_id)
        return _describe(connection) if connection is not None else None

    def _call(self, connection_id: int, action: Callable[[GoogleCalendar, CalendarConnection], T]) -> T:
        """Run ``action`` with the account's Google client; calendar errors said as conferencing ones."""
        connection = db.session.get(CalendarConnection, connection_id)
        if connection is None:
            raise base.NotConnected("Google Calendar is disconnected")
        try:
            return with_client(connection, lambda client: action(cast(GoogleCalendar, client), connection))
        except calendars.Unreachable as exc:
            raise base.Unavailable(exc.message, retry_after=exc.retry_after) from None
        except calendars.WrongPassword as exc:  # the account needs attention, as a calendar too
            connection.status, connection.attention_reason = ConnectionStatus.NEEDS_ATTENTION.value, exc.message
            raise base.NeedsReconnect(exc.message) from None
        except calendars.NotFound as exc:
            raise base.NotFound(exc.message) from None
        except calendars.CalendarError as exc:
            raise base.Refused(exc.message) from None

    def create(self, connection_id: int, details: base.MeetingDetails) -> base.ExternalMeeting:
        def make(client: GoogleCalendar, connection: CalendarConnection) -> base.ExternalMeeting:
            calendar_id, identifier = _calendar(connection), event_id(details.marker)
            event = client.conference_event(calendar_id, identifier, _body(details), details.marker)
            if meet_of(event)[1] == "pending":  # often made by now: asked once more before trying later
                event = client.event(calendar_id, identifier)
            return _made(event, calendar_id)
        return self._call(connection_id, make)

    def find(self, connection_id: int, details: base.MeetingDetails) -> base.ExternalMeeting | None:
        def look(client: GoogleCalendar, connection: CalendarConnection) -> base.ExternalMeeting | None:
            calendar_id = _calendar(connection)
            try:
                event = client.event(calendar_id, event_id(details.marker))
            except calendars.NotFound:
                return None
            return None if event.get("status") == "cancelled" else _made(event, calendar_id)
        return self._call(connection_id, look)

    def update(self, connection_id: int, meeting_id: str, details: base.MeetingDetails) -> None:
        identifier, calendar_id = meeting_id.split(" ", 1)
        self._call(connection_id, lambda client, _: client.patch(calendar_id, identifier, _body(details)))

    def delete(self, connection_id: int, meeting_id: str) -> None:
        identifier, calendar_id = meeting_id.split(" ", 1)
        self._call(connection_id, lambda client, _: client.delete_event(calendar_id, "", identifier))


PROVIDER = GoogleMeetProvider()
