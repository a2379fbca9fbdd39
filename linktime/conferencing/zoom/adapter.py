"""Zoom behind the conferencing interface: meetings on the host's connected Zoom account."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from linktime.conferencing import base
from linktime.conferencing.zoom import service
from linktime.conferencing.zoom.cards import CARD, card_context
from linktime.conferencing.zoom.client import SCOPE_LIST, external_meeting, find_marked, meeting_payload
from linktime.extensions import db
from linktime.i18n import lazy_gettext as _l
from linktime.models import Location, User, ZoomConnection
from linktime.privacy import ENCRYPTED, Integration


def _describe(connection: ZoomConnection) -> base.Connection:
    service.recover_if_readable(connection)
    return base.Connection(
        id=connection.id,
        label="the team's Zoom account" if connection.is_workspace else "a Zoom account",
        is_workspace=connection.is_workspace,
        usable=not connection.needs_attention,
        problem="Zoom needs to be reconnected: " + connection.attention_reason if connection.needs_attention else "",
        can_find=service.can_list_meetings(connection),
        ref=connection.zoom_user_id,
    )


class ZoomProvider:
    location = Location.ZOOM
    account_model = ZoomConnection
    connect_what, connect_where = "Zoom", ""
    privacy = Integration(
        "Zoom",
        tuple(scope.purpose if scope.required else _l("%(purpose)s (optional)", purpose=scope.purpose)
              for scope in SCOPE_LIST),
        (_l("Your Zoom email address"), _l("The OAuth tokens, %(encrypted)s", encrypted=ENCRYPTED),
         _l("Each booking's meeting number, join link and passcode, the last two %(encrypted)s", encrypted=ENCRYPTED)),
        (_l("Meeting recordings"), _l("Participant information"), _l("Meeting chat or content"),
         _l("Your Zoom contacts"), _l("Your Zoom settings")),
        _l("Disconnect deletes the email and the tokens at once and revokes LinkTime's access at Zoom. "
           "Meetings already made stay on your Zoom account, and their bookings keep their links."),
    )

    def display_id(self, external_id: str, join_url: str) -> str:
        return external_id

    def cards(self, user: User) -> list[tuple[str, dict[str, Any]]]:
        return [(CARD, card_context(False))] + ([(CARD, card_context(True))] if user.is_admin else [])

    def settle_time(self) -> timedelta:
        return timedelta(seconds=2 * service.settings().timeout)

    def is_event_in(self, calendar_provider: str) -> bool:
        return False

    def connection_for(self, host_id: int) -> base.Connection | None:
        connection = service.connection_for(host_id)
        return _describe(connection) if connection is not None else None

    def connection(self, connection_id: int) -> base.Connection | None:
        connection = db.session.get(ZoomConnection, connection_id)
        return _describe(connection) if connection is not None else None

    def create(self, connection_id: int, details: base.MeetingDetails) -> base.ExternalMeeting:
        return service.call_zoom(connection_id, lambda api: api.create_meeting(meeting_payload(details)))

    def find(self, connection_id: int, details: base.MeetingDetails) -> base.ExternalMeeting | None:
        listed = service.call_zoom(connection_id, lambda api: api.upcoming_meetings())
        found = find_marked(listed, details)
        return external_meeting(found) if found is not None else None

    def update(self, connection_id: int, meeting_id: str, details: base.MeetingDetails) -> None:
        service.call_zoom(connection_id, lambda api: api.update_meeting(meeting_id, meeting_payload(details)))

    def delete(self, connection_id: int, meeting_id: str) -> None:
        service.call_zoom(connection_id, lambda api: api.delete_meeting(meeting_id))


PROVIDER = ZoomProvider()
